#pragma once
// Lines of text in aligned columns, for output that people read in a terminal.

#include <string>
#include <vector>

namespace outrigger::cli {

class TextTable {
 public:
  // A row of cells; an empty row prints as a blank line and does not affect the widths.
  void addRow(std::vector<std::string> cells);
  // Every column but the last is padded to its widest cell plus two spaces; each line
  // starts with `indent` and has no trailing spaces.
  std::string render(const std::string& indent = "") const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace outrigger::cli
