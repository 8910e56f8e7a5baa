#include "proxy/admin/admin_server.h"

#include "proxy/http/parser.h"
#include "proxy/http/serializer.h"
#include "proxy/io/timer.h"

namespace outrigger::admin {
namespace {
constexpr size_t kMaxAdminBody = 1024 * 1024;
constexpr Duration kAdminIdleTimeout = seconds(30);
}  // namespace

class AdminServer::Connection final : public io::StreamHandler, public http::RequestHandler {
 public:
  Connection(AdminServer& server, std::unique_ptr<io::TcpStream> stream)
      : server_(server),
        stream_(std::move(stream)),
        parser_(*this, http::ParserLimits{}),
        timer_(server.loop_, [this] { finish(); }) {
    stream_->setHandler(this);
    from_loopback_ = stream_->peerAddress().isLoopback();
    timer_.start(kAdminIdleTimeout);
    stream_->startReading();
  }

 private:
  void onStreamData(const char* data, size_t len) override {
    timer_.start(kAdminIdleTimeout);
    const http::ParseResult result = parser_.feed(data, len);
    if (done_) return;
    if (result.status == http::ParseStatus::kError) {
      respond({400, "text/plain", "bad request\n"}, false);
      finish();
    }
  }
  void onStreamEnd(int) override { finish(); }

  http::ParserAction onRequestHead(http::RequestHead& head) override {
    request_ = {};
    const std::string_view path = head.path();
    request_.method = head.method;
    request_.path = std::string(path);
    if (head.target.size() > path.size()) request_.query = head.target.substr(path.size() + 1);
    request_.from_loopback = from_loopback_;
    if (const std::string_view* auth = head.headers.get("Authorization"))
      request_.authorization = *auth;
    keep_alive_ = head.keep_alive;
    head_method_ = head.method;
    return http::ParserAction::kContinue;
  }
  http::ParserAction onRequestBody(std::string_view chunk) override {
    if (request_.body.size() + chunk.size() <= kMaxAdminBody) request_.body.append(chunk);
    return http::ParserAction::kContinue;
  }
  http::ParserAction onRequestComplete() override {
    respond(server_.handler_.handle(request_), keep_alive_);
    if (!keep_alive_) {
      finish();
      return http::ParserAction::kPause;
    }
    return http::ParserAction::kContinue;
  }

  void respond(const AdminResponse& response, bool keep_alive) {
    http::ResponseHead head;
    head.status = response.status;
    head.headers.add("Content-Type", response.content_type);
    head.headers.add("Cache-Control", "no-store");
    for (const auto& h : response.headers) head.headers.add(h.name, h.value);
    head.framing = http::BodyFraming::kContentLength;
    head.content_length = response.body.size();
    head.keep_alive = keep_alive;
    std::string out;
    http::appendResponseHead(head, out);
    if (head_method_ != "HEAD") out += response.body;
    stream_->write(std::move(out));
  }

  void finish() {
    if (done_) return;
    done_ = true;
    timer_.stop();
    io::TcpStream::closeGracefully(std::move(stream_));
    server_.remove(this);
  }

  AdminServer& server_;
  std::unique_ptr<io::TcpStream> stream_;
  http::RequestParser parser_;
  io::Timer timer_;
  AdminRequest request_;
  std::string head_method_;
  bool keep_alive_ = true;
  bool from_loopback_ = false;
  bool done_ = false;
};

AdminServer::AdminServer(io::Loop& loop, AdminHandler& handler) : loop_(loop), handler_(handler) {}

AdminServer::~AdminServer() { close(); }

std::string AdminServer::listen(const std::string& host, uint16_t port) {
  listener_ = std::make_unique<io::TcpListener>(loop_, [this](std::unique_ptr<io::TcpStream> s) {
    connections_.push_back(std::make_unique<Connection>(*this, std::move(s)));
  });
  std::string error = listener_->listen(host, port, /*reuse_port=*/false, 128);
  if (!error.empty()) return "admin: " + error;
  return "";
}

uint16_t AdminServer::port() const { return listener_ ? listener_->port() : 0; }

void AdminServer::close() {
  listener_.reset();
  connections_.clear();
}

void AdminServer::remove(Connection* connection) {
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->get() == connection) {
      loop_.deleteLater(std::move(*it));  // freed on the next turn, outside its own callbacks
      connections_.erase(it);
      return;
    }
  }
}

}  // namespace outrigger::admin
