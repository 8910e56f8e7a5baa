#pragma once
// Checks the request head the proxy sends upstream by parsing its bytes back, as the
// upstream would, and comparing the result with what the app sent: the header rules stated
// as properties rather than as a second implementation. Shared by the unit tests and the
// fuzz target. Header-only: the fuzz build does not link the test support library.

#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/header_rules.h"
#include "proxy/http/message.h"
#include "proxy/http/parser.h"
#include "tests/support/http/counting_handler.h"

namespace outrigger::http::testing {

// A request head parsed back from bytes; `problem` is empty when they are exactly one
// complete head (and, with framing, the start of its body).
struct ParsedBack {
  RequestHead head;
  std::string problem;
};

inline ParsedBack parseBack(std::string_view wire) {
  struct Capture final : CountingRequestHandler {
    ParserAction onRequestHead(RequestHead& head) override {
      parsed = head;
      return CountingRequestHandler::onRequestHead(head);
    }
    RequestHead parsed;
  } capture;
  RequestParser parser(capture, ParserLimits{1u << 24, 1u << 20});
  const ParseResult r = parser.feed(wire.data(), wire.size());
  ParsedBack out;
  if (r.status != ParseStatus::kOk) {
    out.problem = "does not parse: " + r.detail;
  } else if (capture.heads != 1) {
    out.problem = "parses as " + std::to_string(capture.heads) + " heads";
  } else if (capture.parsed.framing == BodyFraming::kNone && capture.completes != 1) {
    out.problem = "a bodiless request is not complete after its head";
  }
  out.head = std::move(capture.parsed);
  return out;
}

namespace detail {

inline std::vector<std::string> valuesNamed(const Headers& headers, std::string_view name) {
  std::vector<std::string> out;
  for (const HeaderView& h : headers) {
    if (equalsIgnoreCase(h.name, name)) out.emplace_back(h.value);
  }
  return out;
}

inline std::string joined(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    out.append(i == 0 ? "'" : ", '").append(values[i]).append("'");
  }
  return out + "]";
}

// The headers whose values the proxy decides: each is checked on its own.
inline bool isProxySet(std::string_view name) {
  for (std::string_view set :
       {"Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID"}) {
    if (equalsIgnoreCase(name, set)) return true;
  }
  return false;
}

inline bool isFraming(std::string_view name) {
  return equalsIgnoreCase(name, "Content-Length") || equalsIgnoreCase(name, "Transfer-Encoding");
}

}  // namespace detail

// The app's headers that go upstream as they are: neither hop-by-hop, nor Expect, nor named
// by the app's Connection headers.
inline Headers keptAppHeaders(const Headers& app) {
  std::vector<std::string_view> tokens;
  connectionTokens(app, tokens);
  Headers kept;
  for (const HeaderView& h : app) {
    bool out = isHopByHopName(h.name) || equalsIgnoreCase(h.name, "Expect");
    for (std::string_view token : tokens) out = out || equalsIgnoreCase(h.name, token);
    if (!out) kept.add(h.name, h.value);
  }
  return kept;
}

// What is wrong with `wire` as the upstream request for the app's `app` head under `ctx`,
// or "" when nothing is.
inline std::string upstreamRequestProblem(const RequestHead& app, const ForwardContext& ctx,
                                          std::string_view wire) {
  using detail::joined;
  using detail::valuesNamed;
  const ParsedBack back = parseBack(wire);
  if (!back.problem.empty()) return back.problem;
  const RequestHead& sent = back.head;
  std::string problems;
  const auto expect = [&](bool ok, const std::string& what) {
    if (!ok) problems.append(what).append("\n");
  };

  std::string origin_form;
  appendOriginForm(app.target, origin_form);
  expect(sent.method == app.method, "method " + sent.method);
  expect(sent.target == origin_form, "target " + sent.target + ", not " + origin_form);
  expect(sent.version_minor == 1 && sent.keep_alive, "not a keep-alive HTTP/1.1 request");
  expect(sent.framing == app.framing, "framing changed");
  expect(sent.framing != BodyFraming::kContentLength || sent.content_length == app.content_length,
         "Content-Length changed");

  // Framing headers: exactly the one the framing needs.
  const auto lengths = valuesNamed(sent.headers, "Content-Length");
  const auto encodings = valuesNamed(sent.headers, "Transfer-Encoding");
  expect(lengths.size() == (app.framing == BodyFraming::kContentLength ? 1u : 0u),
         "Content-Length headers " + joined(lengths));
  expect(encodings.size() == (app.framing == BodyFraming::kChunked ? 1u : 0u),
         "Transfer-Encoding headers " + joined(encodings));

  // No other hop-by-hop header, and none the app's Connection named (unless the proxy
  // writes it itself).
  std::vector<std::string_view> tokens;
  connectionTokens(app.headers, tokens);
  for (const HeaderView& h : sent.headers) {
    if (detail::isFraming(h.name)) continue;
    bool dropped = isHopByHopName(h.name) || equalsIgnoreCase(h.name, "Expect");
    if (!detail::isProxySet(h.name)) {
      for (std::string_view token : tokens) dropped = dropped || equalsIgnoreCase(h.name, token);
    }
    expect(!dropped, std::string(h.name) + " went upstream");
  }

  const Headers kept = keptAppHeaders(app.headers);
  const std::string_view* app_host = app.headers.get("Host");
  const auto once = [&](std::string_view name, std::string_view value) {
    const auto got = valuesNamed(sent.headers, name);
    expect(got.size() == 1 && got[0] == value,
           std::string(name) + " is " + joined(got) + ", not '" + std::string(value) + "'");
  };
  const auto asApp = [&](std::string_view name) {
    const auto got = valuesNamed(sent.headers, name);
    const auto want = valuesNamed(kept, name);
    expect(got == want,
           std::string(name) + " is " + joined(got) + ", not the app's " + joined(want));
  };
  once("X-Forwarded-Proto", ctx.proto);
  if (app_host != nullptr) {
    once("X-Forwarded-Host", *app_host);
  } else {
    asApp("X-Forwarded-Host");
  }
  const bool rewrite_host =
      (!ctx.preserve_host || app_host == nullptr) && !ctx.upstream_authority.empty();
  if (rewrite_host) {
    once("Host", ctx.upstream_authority);
  } else {
    asApp("Host");
  }
  if (!ctx.request_id.empty()) {
    once("X-Request-ID", ctx.request_id);
  } else {
    asApp("X-Request-ID");
  }
  // X-Forwarded-For: the app's list, in order, with this hop appended to its last header.
  std::vector<std::string> forwarded = valuesNamed(kept, "X-Forwarded-For");
  if (!ctx.client_address.empty()) {
    if (forwarded.empty()) {
      forwarded.emplace_back(ctx.client_address);
    } else {
      forwarded.back().append(", ").append(ctx.client_address);
    }
  }
  const auto got_forwarded = valuesNamed(sent.headers, "X-Forwarded-For");
  expect(got_forwarded == forwarded,
         "X-Forwarded-For is " + joined(got_forwarded) + ", not " + joined(forwarded));

  // Every other header of the app's, in its order, and nothing else.
  std::vector<std::string> want_rest;
  std::vector<std::string> got_rest;
  for (const HeaderView& h : kept) {
    if (!detail::isProxySet(h.name))
      want_rest.push_back(std::string(h.name) + ": " + std::string(h.value));
  }
  for (const HeaderView& h : sent.headers) {
    if (!detail::isProxySet(h.name) && !detail::isFraming(h.name))
      got_rest.push_back(std::string(h.name) + ": " + std::string(h.value));
  }
  expect(got_rest == want_rest, "other headers " + joined(got_rest) + ", not " + joined(want_rest));
  return problems;
}

}  // namespace outrigger::http::testing
