#pragma once
// Reading a whole small file (the config, certificates and keys) with plain POSIX calls,
// so it works even when the process is short of descriptors for anything heavier.

#include <optional>
#include <string>

namespace outrigger {

// The file's bytes, or nullopt if it cannot be read (missing, unreadable, out of
// descriptors); then *error, when given, holds errno.
std::optional<std::string> readFileContents(const std::string& path, int* error = nullptr);

// The directory part of `path`: "dir/file" -> "dir", "file" -> ".", "/file" -> "/".
std::string directoryOf(const std::string& path);

// `path` unchanged if absolute, otherwise taken relative to `base_directory`.
std::string resolvePath(const std::string& path, const std::string& base_directory);

}  // namespace outrigger
