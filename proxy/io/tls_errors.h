#pragma once
// OpenSSL's per-thread error queue, turned into one short reason for people.

#include <string>

namespace outrigger::io {

// The reason of the newest queued OpenSSL error ("certificate verify failed", "tlsv13
// alert certificate required"), or "unknown TLS error"; empties the queue.
std::string takeOpensslError();

}  // namespace outrigger::io
