#include "proxy/config/env_substitution.h"

#include <cctype>

namespace outrigger::config {
namespace {

constexpr std::string_view kSecretNameParts[] = {"SECRET", "TOKEN", "PASSWORD", "KEY"};

bool isNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool isNameChar(char c) { return isNameStart(c) || (c >= '0' && c <= '9'); }

// Expands the reference whose body (between "${" and "}") is `body`.
void expandReference(std::string_view body, const EnvLookup& env, Substitution& out) {
  size_t name_end = 0;
  while (name_end < body.size() && isNameChar(body[name_end])) ++name_end;
  const std::string name(body.substr(0, name_end));
  const std::string_view rest = body.substr(name_end);
  const bool has_default = rest.substr(0, 2) == ":-";
  if (name.empty() || !isNameStart(name[0]) || (!rest.empty() && !has_default)) {
    out.errors.push_back("invalid variable reference '${" + std::string(body) +
                         "}' (write ${NAME} or ${NAME:-default}; names use letters, digits and "
                         "'_', and do not start with a digit)");
    return;
  }
  out.variables.push_back(name);
  const std::optional<std::string> value = env ? env(name) : std::nullopt;
  if (has_default && (!value || value->empty())) {
    out.value += rest.substr(2);
  } else if (value) {
    out.value += *value;
  } else {
    out.errors.push_back("environment variable '" + name + "' is not set");
  }
}

}  // namespace

Substitution substituteEnv(std::string_view text, const EnvLookup& env) {
  Substitution out;
  out.value.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t dollar = text.find('$', i);
    if (dollar == std::string_view::npos || dollar + 1 >= text.size()) {
      out.value += text.substr(i);
      break;
    }
    out.value += text.substr(i, dollar - i);
    const char next = text[dollar + 1];
    if (next == '$') {
      out.value += '$';
      i = dollar + 2;
    } else if (next == '{') {
      const size_t close = text.find('}', dollar + 2);
      if (close == std::string_view::npos) {
        out.errors.push_back("unterminated '${' (write ${NAME}, or $$ for a literal '$')");
        break;
      }
      expandReference(text.substr(dollar + 2, close - dollar - 2), env, out);
      i = close + 1;
    } else {
      out.value += '$';
      i = dollar + 1;
    }
  }
  return out;
}

bool isSecretVariableName(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string_view part : kSecretNameParts) {
    if (upper.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace outrigger::config
