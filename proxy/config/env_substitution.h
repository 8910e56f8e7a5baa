#pragma once
// ${VAR} and ${VAR:-default} in config scalars; "$$" is a literal "$".

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outrigger::config {

// Returns the variable's value, or nullopt when it is not set. Injected so tests never
// touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

struct Substitution {
  std::string value;
  std::vector<std::string> errors;  // one message per bad reference
};

// Like the shell: ${VAR:-default} uses the default when VAR is unset or empty. A "$" that
// is not followed by "{" or "$" is kept as is. Substituted text is not scanned again.
Substitution substituteEnv(std::string_view text, const EnvLookup& env);

}  // namespace outrigger::config
