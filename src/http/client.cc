// The HTTP/1.1 client of client.h, on Boost.Asio sockets, Boost.Beast's response parser and
// Boost.Asio SSL (OpenSSL).
//
// Flow. Fetch() first does everything that needs no I/O: it parses the URL, checks the request and
// writes its head into a string. Then it resolves the host. An IP literal needs no lookup. A name
// is looked up by getaddrinfo on a detached helper thread, which Fetch() waits for only until the
// deadline: getaddrinfo cannot be cancelled, and asio's own resolver joins its thread when its
// io_context is destroyed, so a hanging DNS server would hold the caller past the deadline. An
// Exchange then does the rest as a chain of asynchronous operations on an io_context of its own,
// which the calling thread runs:
//   connect (each address in turn) -> TLS handshake for https (SNI; chain and host name checked)
//   -> one gather write of head and body -> read the response head (skipping interim 1xx ones)
//   -> read the body chunk by chunk into a fixed buffer, until the message ends or it is longer
//      than max_response_body (then the rest is not read at all).
// Every step ends in Finish() (a response) or Fail() (an error). Both close the socket and cancel
// the timer; no work is then left and io_context::run() returns.
//
// Timeouts. One steady_timer holds the deadline: while connecting, the earlier of the connect
// deadline and the total one; after that, the total one. When it fires, the error is recorded and
// the socket closed, which completes the pending operation with operation_aborted; that handler,
// like every handler, returns at once when the exchange has already finished. Re-arming the timer
// cancels the old wait; a generation number makes harmless a wait that had already fired when it
// was cancelled. The total deadline counts from Fetch()'s start, so it includes the lookup, and no
// other limit (asio's, the kernel's, the peer's) needs to be trusted.
#include "http/client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "http/wire.h"

namespace scim::http {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr uint32_t kHeaderLimit = 16 * 1024;  // status line + response headers
constexpr size_t kChunkSize = 16 * 1024;      // body bytes handed over by the parser at a time
constexpr int kMaxInterimResponses = 8;       // 1xx responses skipped before giving up
constexpr std::string_view kUserAgent = "scimd";

// `s` for an error message: bytes outside printable ASCII become \xNN, so that a hostile URL or
// header cannot forge a line in a log.
std::string Printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

std::unexpected<std::string> InvalidUrl(std::string_view url, std::string_view why) {
  return std::unexpected("invalid URL '" + Printable(url) + "': " + std::string(why));
}

std::string Millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A DNS name or IPv4 address; the subset of RFC 3986 reg-name that real hosts use.
bool IsHostChar(char c) { return IsAlnum(c) || c == '.' || c == '-' || c == '_' || c == '~'; }

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// "host:port" as errors show it (always with the port) or as the Host header wants it (without
// the scheme's default port); an IPv6 literal in brackets.
std::string Authority(const Url& url, bool always_port) {
  std::string out = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  uint16_t default_port = url.scheme == "https" ? 443 : 80;
  if (always_port || url.port != default_port) out += ":" + std::to_string(url.port);
  return out;
}

// The request line and headers, ending in the blank line; or why the request cannot be sent.
std::expected<std::string, std::string> RequestHead(const ClientRequest& request, const Url& url) {
  if (!wire::IsToken(request.method)) {
    return std::unexpected("invalid method '" + Printable(request.method) + "'");
  }
  bool has_host = false, has_length = false, has_connection = false, has_agent = false;
  std::string lines;
  for (const auto& [name, value] : request.headers) {
    if (!wire::IsToken(name)) return std::unexpected("invalid header name '" + Printable(name) + "'");
    if (!wire::IsSafeHeaderValue(value)) {
      return std::unexpected("header '" + name + "': the value holds CR, LF or NUL");
    }
    if (wire::IEquals(name, "transfer-encoding")) {
      return std::unexpected("header '" + name +
                             "' is not supported: the body is sent with a Content-Length");
    }
    if (wire::IEquals(name, "content-length")) {
      if (value != std::to_string(request.body.size())) {
        return std::unexpected("header '" + name + ": " + value + "' does not match the body's " +
                               std::to_string(request.body.size()) + " bytes");
      }
      has_length = true;
    }
    has_host = has_host || wire::IEquals(name, "host");
    has_connection = has_connection || wire::IEquals(name, "connection");
    has_agent = has_agent || wire::IEquals(name, "user-agent");
    lines += name;
    lines += ": ";
    lines += value;
    lines += "\r\n";
  }

  std::string head = request.method + " " + url.target + " HTTP/1.1\r\n";
  if (!has_host) head += "Host: " + Authority(url, false) + "\r\n";
  head += lines;
  const std::string& m = request.method;
  if (!has_length && (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH")) {
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  if (!has_agent) head += "User-Agent: " + std::string(kUserAgent) + "\r\n";
  if (!has_connection) head += "Connection: close\r\n";
  head += "\r\n";
  return head;
}

// What the lookup thread hands back; shared, because the thread may outlive the Fetch() that
// started it (when the deadline passed first).
struct Lookup {
  std::mutex mu;
  std::condition_variable cv;
  // Guarded by mu.
  bool done = false;
  std::string error;
  std::vector<tcp::endpoint> endpoints;
};

// Runs on the detached lookup thread.
void RunLookup(const std::shared_ptr<Lookup>& lookup, const std::string& host,
               const std::string& port) {
  std::vector<tcp::endpoint> endpoints;
  std::string error;
  try {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    addrinfo* list = nullptr;
    int status = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
    if (status == 0) {
      for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        tcp::endpoint endpoint;
        if (ai->ai_addrlen > endpoint.capacity()) continue;
        std::memcpy(endpoint.data(), ai->ai_addr, ai->ai_addrlen);
        endpoint.resize(ai->ai_addrlen);
        endpoints.push_back(endpoint);
      }
      ::freeaddrinfo(list);
      if (endpoints.empty()) error = "no IPv4 or IPv6 address";
    } else if (status == EAI_SYSTEM) {
      error = std::error_code(errno, std::system_category()).message();
    } else {
      error = ::gai_strerror(status);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  std::lock_guard<std::mutex> lock(lookup->mu);
  lookup->done = true;
  lookup->error = std::move(error);
  lookup->endpoints = std::move(endpoints);
  lookup->cv.notify_all();
}

// The addresses to try for url.host, found by `deadline`.
std::expected<std::vector<tcp::endpoint>, std::string> Resolve(const Url& url,
                                                               Clock::time_point deadline,
                                                               std::chrono::milliseconds total) {
  error_code ec;
  net::ip::address address = net::ip::make_address(url.host, ec);
  if (!ec) return std::vector<tcp::endpoint>{tcp::endpoint(address, url.port)};

  auto lookup = std::make_shared<Lookup>();
  std::thread([lookup, host = url.host, port = std::to_string(url.port)] {
    RunLookup(lookup, host, port);
  }).detach();
  std::unique_lock<std::mutex> lock(lookup->mu);
  if (!lookup->cv.wait_until(lock, deadline, [&] { return lookup->done; })) {
    return std::unexpected("timed out after " + Millis(total) + " (resolving " + url.host + ")");
  }
  if (!lookup->error.empty()) {
    return std::unexpected("resolve " + url.host + ": " + lookup->error);
  }
  return std::move(lookup->endpoints);
}

// One request and its response on one connection; see the top of this file. Used once, by the
// thread that calls Run().
class Exchange {
 public:
  Exchange(const Url& url, const ClientRequest& request, const ClientOptions& options,
           std::string head, Clock::time_point deadline)
      : url_(url), request_(request), options_(options), head_(std::move(head)),
        deadline_(deadline) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Connects to the first of `endpoints` that accepts and does the exchange. Returns the
  // response, or the first error (including a timeout).
  std::expected<ClientResponse, std::string> Run(const std::vector<tcp::endpoint>& endpoints);

 private:
  enum class Phase { kConnect, kHandshake, kWrite, kReadHead, kReadBody };

  std::string SetUpTls();
  void Connect(const std::vector<tcp::endpoint>& endpoints);
  void OnConnect(const error_code& ec);
  void OnHandshake(const error_code& ec);
  void Write();
  void OnWrite(const error_code& ec);
  void ReadHead();
  void OnHead(const error_code& ec);
  void ReadBody();
  void OnBody(error_code ec);
  void ArmTimer(Clock::time_point when);
  void OnTimeout();
  void Fail(std::string error);
  void Finish();
  void Close();
  tcp::socket& Socket() { return tls_ ? tls_->next_layer() : socket_; }

  // Calls `operation` with the stream to read and write: the TLS stream or the plain socket.
  template <class Operation>
  void WithStream(Operation&& operation) {
    if (tls_) {
      operation(*tls_);
    } else {
      operation(socket_);
    }
  }

  // Constant after construction (the referenced objects outlive the Exchange).
  const Url& url_;
  const ClientRequest& request_;
  const ClientOptions& options_;
  const std::string head_;
  const Clock::time_point deadline_;

  // I/O objects. The io_context comes first so that it is destroyed last.
  net::io_context io_context_{1};
  net::steady_timer timer_{io_context_};
  tcp::socket socket_{io_context_};  // moved into tls_ once connected, for https
  std::optional<ssl::context> tls_context_;
  std::optional<ssl::stream<tcp::socket>> tls_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser_;
  std::array<char, kChunkSize> chunk_;

  // Progress.
  Phase phase_ = Phase::kConnect;
  bool connect_limited_ = false;  // the timer's expiry is the connect deadline, not the total one
  unsigned timer_generation_ = 0;
  bool finished_ = false;
  int interim_responses_ = 0;
  std::string write_error_;  // sending failed; reported unless a response arrives anyway
  ClientResponse response_;
  std::string error_;
};

std::expected<ClientResponse, std::string> Exchange::Run(
    const std::vector<tcp::endpoint>& endpoints) {
  if (url_.scheme == "https") {
    std::string error = SetUpTls();
    if (!error.empty()) return std::unexpected(error);
  }
  Connect(endpoints);
  io_context_.run();
  if (!finished_) return std::unexpected("internal error: the exchange stopped unfinished");
  if (!error_.empty()) return std::unexpected(std::move(error_));
  return std::move(response_);
}

std::string Exchange::SetUpTls() {
  tls_context_.emplace(ssl::context::tls_client);
  ssl::context& context = *tls_context_;
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  error_code ec;
  if (options_.verify_tls) {
    context.set_verify_mode(ssl::verify_peer, ec);
    if (!ec) context.set_default_verify_paths(ec);
    if (ec) return "TLS: the system's CA certificates: " + ec.message();
  } else {
    context.set_verify_mode(ssl::verify_none, ec);
    if (ec) return "TLS: " + ec.message();
  }
  if (!options_.ca_file.empty()) {
    context.load_verify_file(options_.ca_file, ec);
    if (ec) return "TLS CA file '" + Printable(options_.ca_file) + "': " + ec.message();
  }
  return {};
}

void Exchange::Connect(const std::vector<tcp::endpoint>& endpoints) {
  phase_ = Phase::kConnect;
  Clock::time_point connect_deadline = Clock::now() + options_.connect_timeout;
  connect_limited_ = connect_deadline < deadline_;
  ArmTimer(std::min(connect_deadline, deadline_));
  net::async_connect(socket_, endpoints,
                     [this](const error_code& ec, const tcp::endpoint&) { OnConnect(ec); });
}

void Exchange::OnConnect(const error_code& ec) {
  if (finished_) return;
  if (ec) return Fail("connect " + Authority(url_, true) + ": " + ec.message());
  connect_limited_ = false;
  ArmTimer(deadline_);
  error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  if (!tls_context_) return Write();

  phase_ = Phase::kHandshake;
  tls_.emplace(std::move(socket_), *tls_context_);
  bool ip_literal = IsIpLiteral(url_.host);
  // SNI carries host names only (RFC 6066 §3).
  if (!ip_literal && SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str()) != 1) {
    return Fail("TLS: cannot set the server name (SNI) '" + url_.host + "'");
  }
  if (options_.verify_tls) {
    // asio's check, plus the reason for OpenSSL to report (SSL_get_verify_result) when it fails.
    auto verify = [check = ssl::host_name_verification(url_.host), ip_literal](
                      bool preverified, ssl::verify_context& context) {
      if (!preverified) return false;
      if (check(preverified, context)) return true;
      X509_STORE_CTX_set_error(context.native_handle(), ip_literal
                                                            ? X509_V_ERR_IP_ADDRESS_MISMATCH
                                                            : X509_V_ERR_HOSTNAME_MISMATCH);
      return false;
    };
    error_code callback_error;
    tls_->set_verify_callback(std::move(verify), callback_error);
    if (callback_error) return Fail("TLS: " + callback_error.message());
  }
  tls_->async_handshake(ssl::stream_base::client,
                        [this](const error_code& ec) { OnHandshake(ec); });
}

void Exchange::OnHandshake(const error_code& ec) {
  if (finished_) return;
  if (ec) {
    long verify = SSL_get_verify_result(tls_->native_handle());
    if (verify != X509_V_OK) {
      return Fail(std::string("TLS handshake: certificate verify failed: ") +
                  X509_verify_cert_error_string(verify));
    }
    return Fail("TLS handshake: " + ec.message());
  }
  Write();
}

void Exchange::Write() {
  phase_ = Phase::kWrite;
  std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(request_.body)};
  WithStream([&](auto& stream) {
    net::async_write(stream, buffers,
                     [this](const error_code& ec, std::size_t) { OnWrite(ec); });
  });
}

void Exchange::OnWrite(const error_code& ec) {
  if (finished_) return;
  // A receiver may answer early (413, 401) and close before taking the whole body: read what it
  // said, and report the write error only if nothing comes.
  if (ec) write_error_ = "write: " + ec.message();
  ReadHead();
}

void Exchange::ReadHead() {
  phase_ = Phase::kReadHead;
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());  // max_response_body is ours
  if (request_.method == "HEAD") parser_->skip(true);
  WithStream([this](auto& stream) {
    bhttp::async_read_header(stream, buffer_, *parser_,
                             [this](const error_code& ec, std::size_t) { OnHead(ec); });
  });
}

void Exchange::OnHead(const error_code& ec) {
  if (finished_) return;
  if (ec) {
    if (!write_error_.empty()) return Fail(write_error_);
    if (ec == bhttp::error::header_limit) {
      return Fail("read response: header larger than " + std::to_string(kHeaderLimit) + " bytes");
    }
    if (ec == bhttp::error::end_of_stream) {
      return Fail("read response: connection closed before a response");
    }
    return Fail("read response: " + ec.message());
  }
  const auto& message = parser_->get();
  int status = message.result_int();
  if (status >= 100 && status < 200 && status != 101) {
    if (++interim_responses_ > kMaxInterimResponses) {
      return Fail("read response: more than " + std::to_string(kMaxInterimResponses) +
                  " interim (1xx) responses");
    }
    return ReadHead();
  }
  response_.status = status;
  for (const auto& field : message) {
    response_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  if (parser_->is_done()) return Finish();
  ReadBody();
}

void Exchange::ReadBody() {
  phase_ = Phase::kReadBody;
  auto& body = parser_->get().body();
  body.data = chunk_.data();
  body.size = chunk_.size();
  WithStream([this](auto& stream) {
    bhttp::async_read(stream, buffer_, *parser_,
                      [this](const error_code& ec, std::size_t) { OnBody(ec); });
  });
}

void Exchange::OnBody(error_code ec) {
  if (finished_) return;
  if (ec == bhttp::error::need_buffer) ec = {};  // the chunk is full
  if (ec == ssl::error::stream_truncated) {
    // The peer closed the TCP connection without a TLS close_notify. That ends a body delimited
    // by the connection's end; any other body is then incomplete (put_eof says which).
    ec = {};
    parser_->put_eof(ec);
  }
  response_.body.append(chunk_.data(), chunk_.size() - parser_->get().body().size);
  if (response_.body.size() > options_.max_response_body) {
    response_.body.resize(options_.max_response_body);
    response_.body_truncated = true;
    return Finish();
  }
  if (ec) return Fail("read response body: " + ec.message());
  if (parser_->is_done()) return Finish();
  ReadBody();
}

void Exchange::ArmTimer(Clock::time_point when) {
  unsigned generation = ++timer_generation_;
  timer_.expires_at(when);  // cancels the previous wait
  timer_.async_wait([this, generation](const error_code& ec) {
    if (ec || generation != timer_generation_ || finished_) return;
    OnTimeout();
  });
}

void Exchange::OnTimeout() {
  if (connect_limited_) {
    return Fail("connect " + Authority(url_, true) + ": timed out after " +
                Millis(options_.connect_timeout));
  }
  std::string doing;
  switch (phase_) {
    case Phase::kConnect: doing = "connecting to " + Authority(url_, true); break;
    case Phase::kHandshake: doing = "TLS handshake"; break;
    case Phase::kWrite: doing = "sending the request"; break;
    case Phase::kReadHead: doing = "waiting for the response"; break;
    case Phase::kReadBody: doing = "reading the response body"; break;
  }
  Fail("timed out after " + Millis(options_.total_timeout) + " (" + doing + ")");
}

void Exchange::Fail(std::string error) {
  if (finished_) return;
  finished_ = true;
  error_ = std::move(error);
  Close();
}

void Exchange::Finish() {
  if (finished_) return;
  finished_ = true;
  Close();
}

// Ends every pending operation: they complete with operation_aborted and find finished_ set.
void Exchange::Close() {
  timer_.cancel();
  error_code ignored;
  Socket().close(ignored);
}

}  // namespace

std::expected<Url, std::string> ParseUrl(std::string_view url) {
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return InvalidUrl(url, "contains a space, control or non-ASCII character");
    }
  }
  Url out;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return InvalidUrl(url, "expected http://host/... or https://host/...");
  }
  for (char c : url.substr(0, scheme_end)) out.scheme += AsciiLower(c);
  if (out.scheme == "http") {
    out.port = 80;
  } else if (out.scheme == "https") {
    out.port = 443;
  } else {
    return InvalidUrl(url, "only http and https are supported");
  }

  std::string_view rest = url.substr(scheme_end + 3);
  size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidUrl(url, "user information (user@host) is not supported");
  }

  std::string_view host;
  std::optional<std::string_view> port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidUrl(url, "'[' without ']' in the host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidUrl(url, "unexpected characters after ']'");
      port = after.substr(1);
    }
    in6_addr ignored;
    if (host.empty() || ::inet_pton(AF_INET6, std::string(host).c_str(), &ignored) != 1) {
      return InvalidUrl(url, "bad IPv6 address '" + std::string(host) + "'");
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    for (char c : host) {
      if (!IsHostChar(c)) {
        return InvalidUrl(url, "bad character '" + std::string(1, c) + "' in the host");
      }
    }
  }
  if (host.empty()) return InvalidUrl(url, "empty host");
  out.host = std::string(host);

  if (port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (port->empty() || port->size() > 5 || ec != std::errc() ||
        end != port->data() + port->size() || value == 0 || value > 65535) {
      return InvalidUrl(url, "bad port '" + std::string(*port) + "'");
    }
    out.port = static_cast<uint16_t>(value);
  }

  target = target.substr(0, target.find('#'));  // a fragment is not sent
  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

std::expected<ClientResponse, std::string> Fetch(const ClientRequest& request,
                                                 const ClientOptions& options) {
  // Nothing below throws for a bad request or a bad peer; what remains (allocation failure, a
  // thread that cannot be started, OpenSSL unable to create a context) becomes an error too.
  try {
    const Clock::time_point deadline = Clock::now() + options.total_timeout;
    auto url = ParseUrl(request.url);
    if (!url) return std::unexpected(url.error());
    auto head = RequestHead(request, *url);
    if (!head) return std::unexpected(head.error());
    auto endpoints = Resolve(*url, deadline, options.total_timeout);
    if (!endpoints) return std::unexpected(endpoints.error());
    Exchange exchange(*url, request, options, std::move(*head), deadline);
    return exchange.Run(*endpoints);
  } catch (const std::exception& e) {
    return std::unexpected(std::string("internal error: ") + e.what());
  }
}

}  // namespace scim::http
