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
  std::vector<std::string> errors;     // one message per bad reference
  std::vector<std::string> variables;  // every name referenced, whether it was set or not
};

// Like the shell: ${VAR:-default} uses the default when VAR is unset or empty. A "$" that
// is not followed by "{" or "$" is kept as is. Substituted text is not scanned again.
Substitution substituteEnv(std::string_view text, const EnvLookup& env);

// Whether a variable's name says it holds a secret: it contains SECRET, TOKEN, PASSWORD or
// KEY, ignoring case. A plain substring match on purpose: API_KEY and DB_PASSWORD_FILE match,
// and so does MONKEY_COUNT. Redacting a harmless value costs little; printing a secret
// because its name was spelled unusually costs a lot.
bool isSecretVariableName(std::string_view name);

}  // namespace outrigger::config
