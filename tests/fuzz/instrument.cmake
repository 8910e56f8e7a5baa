# Included by the top-level CMakeLists.txt, before any target is defined, when OUTRIGGER_FUZZ
# is ON: every target of the build (llhttp, outrigger_core, the tools) is compiled with
# libFuzzer's coverage hooks and ASan+UBSan, so the fuzz targets in this directory steer by
# coverage of the real parser and proxy code. Only the fuzz targets link the fuzzer runtime.

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "OUTRIGGER_FUZZ needs clang and libFuzzer (packages clang, "
                      "libclang-rt-14-dev): configure with CC=clang CXX=clang++")
endif()
if(OUTRIGGER_SANITIZE)
  message(FATAL_ERROR "OUTRIGGER_FUZZ brings its own sanitizers: leave OUTRIGGER_SANITIZE off")
endif()

add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
