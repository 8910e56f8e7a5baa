#include "proxy/policy/outcome.h"

#include <cstdlib>
#include <iostream>

namespace outrigger::policy {

std::string_view outcomeName(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kSuccess:
      return "success";
    case AttemptOutcome::kConnectFailed:
      return "connect_failed";
    case AttemptOutcome::kReset:
      return "reset";
    case AttemptOutcome::kTimeout:
      return "timeout";
    case AttemptOutcome::kFailureStatus:
      return "failure_status";
    case AttemptOutcome::kCancelled:
      return "cancelled";
    case AttemptOutcome::kStaleConnection:
      return "stale_connection";
    case AttemptOutcome::kRefused:
      return "refused";
    case AttemptOutcome::kCount:
      break;
  }
  std::cerr << "outcomeName: impossible outcome " << static_cast<int>(outcome) << "\n";
  std::abort();
}

}  // namespace outrigger::policy
