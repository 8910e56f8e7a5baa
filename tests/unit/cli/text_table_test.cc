#include "proxy/cli/text_table.h"

#include <gtest/gtest.h>

namespace outrigger::cli {
namespace {

TEST(TextTableTest, AlignsEveryColumnButTheLast) {
  TextTable t;
  t.addRow({"timeouts.connect", "1s", "defaults"});
  t.addRow({"retry", "off (one attempt)", "default"});
  EXPECT_EQ(t.render(),
            "timeouts.connect  1s                 defaults\n"
            "retry             off (one attempt)  default\n");
}

TEST(TextTableTest, BlankRowsIndentAndNoTrailingSpaces) {
  TextTable t;
  t.addRow({"a", "1"});
  t.addRow({});
  t.addRow({"long key", ""});
  EXPECT_EQ(t.render("  "), "  a         1\n\n  long key\n");
}

}  // namespace
}  // namespace outrigger::cli
