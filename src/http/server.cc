// The HTTP/1.1 server of server.h, on Boost.Asio sockets and Boost.Beast's request parser.
//
// Threads. One io_context, run by io_threads threads. The acceptor, the signal set and the
// shutdown timer live on the server's strand; every connection (Session) lives on a strand of its
// own, so a Session's members are only touched from its strand and need no lock. The Handler runs
// on the Session's strand; a Responder called from any other thread posts the answer there.
//
// One request at a time. A Session reads a request (driving Beast's basic_parser by hand, so it
// knows when the first byte arrived and when the head was complete), calls the Handler, waits for
// the answer, writes it with one gather write (head + body, no copy of the body), and only then
// parses the next request. Pipelined bytes wait in the read buffer meanwhile.
//
// Deadlines. Each Session has one timer and one `deadline_` (idle, head, body, handler, write or
// linger, by phase). The timer is re-armed only when the deadline moves earlier; when it fires
// early it re-arms for the current deadline. A keep-alive request therefore usually costs no timer
// operation at all, where a timeout per socket operation (beast::tcp_stream) would cost two. The
// timer also keeps the Session alive while it waits for the Handler's answer. Our own timer rather
// than tcp_stream's also lets the server answer a timed-out request with 408: tcp_stream closes the
// socket when its timer fires.
//
// Lifetime. Sessions are owned by the handlers of their pending operations (shared_from_this).
// A Responder owns a ResponseSlot, which holds only a weak_ptr to its Session and the shared Link;
// the Link's mutex and flag make sure nobody posts into the io_context once the Server is being
// destroyed. The slot decides "exactly once": the first of answer, handler exception, and
// destruction without an answer (which becomes a 500) wins; the Session drops answers that arrive
// after a timeout or after the connection closed (a sequence number identifies the request).
//
// Limits. Each Session takes a snapshot of the options (ServerCore::current()) when a request's
// first byte arrives, so Reconfigure() changes limits and timeouts for later requests without a lock per
// read. Connections past max_connections get a Session that only answers 503 and closes.
//
// TLS. With a certificate, a Session first completes the handshake (within header_timeout) through
// an ssl::stream layered over its socket; reads and writes then go through the stream. Close and
// linger act on the socket underneath (no close_notify: every response is framed by its length).
// Reconfigure() swaps the context; connections keep the one they were accepted with.
//
// Shutdown. Stop() closes the acceptor on the server strand and tells every Session: idle ones
// close at once, busy ones finish their request and answer with `Connection: close`. After
// shutdown_grace the remaining ones are closed. When the last Session is gone the io_context is
// stopped and Run() returns.
#include "http/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/basic_signal_set.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "http/wire.h"

namespace scim::http {

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (wire::IEquals(field, name)) return value;
  }
  return {};
}

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using beast::error_code;
using Strand = net::strand<net::io_context::executor_type>;
using Socket = tcp::socket::rebind_executor<Strand>::other;
using Acceptor = net::basic_socket_acceptor<tcp, Strand>;
using Timer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, Strand>;
using SignalSet = net::basic_signal_set<Strand>;
using TlsContext = net::ssl::context;
using TlsStream = net::ssl::stream<Socket&>;

constexpr int kListenBacklog = 1024;
constexpr std::size_t kReadSize = 4 * 1024;       // per read while waiting for a head
constexpr std::size_t kBodyReadSize = 16 * 1024;  // per read while receiving a body
constexpr std::size_t kMaxReadSize = 64 * 1024;
constexpr std::size_t kExpectedHeaders = 16;
constexpr auto kAcceptBackoff = std::chrono::milliseconds(50);
// After an error answer, unread input is drained for this long (or this much) before the socket
// closes: closing with unread data makes the kernel send RST, which can destroy our answer in the
// client's receive buffer before the client reads it.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Connections past max_connections being answered 503 at once; beyond this they are just closed,
// so that a flood cannot turn the answers themselves into unbounded work.
constexpr std::size_t kMaxRejecting = 256;

void LogError(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "scimd http: %.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
}

std::string_view ReasonPhrase(int status) {
  bhttp::status s = bhttp::int_to_status(static_cast<unsigned>(status));
  if (s == bhttp::status::unknown) return "Unknown";
  return bhttp::obsolete_reason(s);
}

// The Date header, formatted once per second per thread.
std::string_view CachedHttpDate() {
  thread_local std::time_t cached_second = -1;
  thread_local char buf[wire::kHttpDateSize];
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    wire::FormatHttpDate(now, buf);
    cached_second = now;
  }
  return std::string_view(buf, wire::kHttpDateSize);
}

// A server TLS context from PEM files, TLS 1.2 or later. Null with `*error` saying which file is
// wrong and why.
std::shared_ptr<TlsContext> MakeTlsContext(const std::string& cert_file, const std::string& key_file,
                                           std::string* error) {
  if (cert_file.empty() || key_file.empty()) {
    *error = "HTTPS needs both a certificate file and a key file";
    return nullptr;
  }
  for (const std::string* file : {&cert_file, &key_file}) {
    if (::access(file->c_str(), R_OK) != 0) {
      *error = *file + ": " + std::strerror(errno);
      return nullptr;
    }
  }
  try {
    auto context = std::make_shared<TlsContext>(TlsContext::tls_server);
    SSL_CTX* native = context->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    error_code ec;
    context->use_certificate_chain_file(cert_file, ec);
    if (ec) {
      *error = cert_file + ": not a PEM certificate chain (" + ec.message() + ")";
      return nullptr;
    }
    context->use_private_key_file(key_file, TlsContext::pem, ec);
    if (ec) {
      *error = key_file + ": not a PEM private key for " + cert_file + " (" + ec.message() + ")";
      return nullptr;
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      *error = key_file + ": the key does not belong to the certificate in " + cert_file;
      return nullptr;
    }
    return context;
  } catch (const std::exception& e) {
    *error = std::string("TLS: ") + e.what();
    return nullptr;
  }
}

// Shared by the server and every Responder: tells a Responder called from any thread at any time
// whether the io_context still exists, so that it never posts into a destroyed one.
struct Link {
  std::mutex mu;
  bool open = true;  // guarded by mu; false once the server is being destroyed
};

// Beast's basic_parser, filling a Request directly: no beast::fields in between, so each header is
// allocated once, in the form the Handler receives it.
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  explicit RequestParser(const ServerOptions& options) {
    header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.header_limit, std::numeric_limits<std::uint32_t>::max())));
    body_limit(static_cast<std::uint64_t>(options.body_limit));
    eager(true);  // one put() may complete the head and consume the body that came with it
  }

  Request& request() { return request_; }
  bool expect_continue() const { return expect_continue_; }
  bool is_head() const { return head_; }
  int http_version() const { return version_; }
  // Why an on_*_impl callback rejected the request; empty when Beast itself did.
  std::string_view error_detail() const { return error_detail_; }

 private:
  void on_request_impl(bhttp::verb method, std::string_view method_str, std::string_view target,
                       int version, error_code& ec) override {
    request_.method.assign(method_str);
    request_.target.assign(target);
    version_ = version;
    head_ = method == bhttp::verb::head;
    request_.headers.reserve(kExpectedHeaders);
    if (!wire::SplitTarget(target, &request_.path, &request_.query)) {
      request_.path.assign(target.substr(0, target.find('?')));  // raw, for the access log
      error_detail_ = "invalid request target";
      ec = bhttp::error::bad_target;
    }
  }

  void on_response_impl(int, std::string_view, int, error_code& ec) override {
    ec = bhttp::error::bad_version;  // never called for a request parser
  }

  void on_field_impl(bhttp::field name, std::string_view name_string, std::string_view value,
                     error_code& ec) override {
    if (is_header_done()) return;  // trailer fields of a chunked body are not headers
    switch (name) {
      case bhttp::field::host:
        if (++host_count_ > 1) {
          error_detail_ = "more than one Host header";
          ec = bhttp::error::bad_field;
          return;
        }
        break;
      case bhttp::field::expect:
        expect_continue_ = wire::IEquals(value, "100-continue");
        break;
      case bhttp::field::transfer_encoding:
        has_transfer_encoding_ = true;
        break;
      default:
        break;
    }
    request_.headers.emplace_back(name_string, value);
  }

  void on_header_impl(error_code& ec) override {
    // Beast ignores a Transfer-Encoding that does not end in "chunked"; a request framed like that
    // must be rejected (RFC 9112 §6.3), or a proxy in front and we could disagree on where it ends.
    if (has_transfer_encoding_ && !chunked()) {
      error_detail_ = "unsupported Transfer-Encoding";
      ec = bhttp::error::bad_transfer_encoding;
      return;
    }
    if (version_ >= 11 && host_count_ == 0) {  // RFC 9112 §3.2: MUST answer 400
      error_detail_ = "missing Host header";
      ec = bhttp::error::bad_field;
    }
  }

  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code&) override {
    // The parser has already checked content_length against body_limit.
    if (content_length) request_.body.reserve(static_cast<std::size_t>(*content_length));
  }

  std::size_t on_body_impl(std::string_view body, error_code&) override {
    request_.body.append(body);
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t, std::string_view, error_code&) override {}

  std::size_t on_chunk_body_impl(std::uint64_t, std::string_view body, error_code&) override {
    request_.body.append(body);
    return body.size();
  }

  void on_finish_impl(error_code&) override {}

  Request request_;
  std::string_view error_detail_;  // always a literal
  int version_ = 11;
  int host_count_ = 0;
  bool head_ = false;
  bool expect_continue_ = false;
  bool has_transfer_encoding_ = false;
};

class Session;

// Everything behind Server::Impl. The Sessions call back into it (options, handler, registry).
class ServerCore {
 public:
  ServerCore(ServerOptions options, Handler handler);
  ~ServerCore();

  std::string Listen();
  uint16_t port() const { return port_.load(std::memory_order_relaxed); }
  void Run(bool handle_signals);
  void Stop();

  std::string Reconfigure(const ServerOptions& updated);

  // For Sessions. options(): as constructed (callbacks, threads); current(): the live limits.
  const ServerOptions& options() const { return options_; }
  std::shared_ptr<const ServerOptions> current() const {
    std::lock_guard<std::mutex> lock(live_mu_);
    return current_;
  }
  const Handler& handler() const { return handler_; }
  const std::shared_ptr<Link>& link() const { return link_; }
  void Unregister(Session* session, bool admitted);
  // The application's error response, or a text/plain one when it has none or it threw.
  Response ErrorResponse(int status, std::string_view detail) const;
  void Log(const AccessLogEntry& entry) const;

 private:
  void RunLoop();
  void DoAccept();
  void OnAccept(error_code ec, Socket socket);
  void DoStop();
  void ForceCloseAll();
  std::vector<std::shared_ptr<Session>> SnapshotSessions();

  // Constant after construction.
  const ServerOptions options_;
  const Handler handler_;
  const std::shared_ptr<Link> link_ = std::make_shared<Link>();

  std::atomic<bool> stopping_{false};
  std::atomic<bool> destroying_{false};
  std::atomic<uint16_t> port_{0};
  // Sessions within max_connections, and those only answering 503. Incremented on strand_ only.
  std::atomic<std::size_t> admitted_{0};
  std::atomic<std::size_t> rejecting_{0};

  mutable std::mutex live_mu_;
  std::shared_ptr<const ServerOptions> current_;  // guarded by live_mu_; never null
  std::shared_ptr<TlsContext> tls_;               // guarded by live_mu_; null for plain HTTP

  std::mutex sessions_mu_;
  std::unordered_set<Session*> sessions_;  // guarded by sessions_mu_

  // The event loop. It is declared after everything a dying Session touches, so it is destroyed
  // first: destroying it destroys the pending handlers, which own the remaining Sessions.
  net::io_context ioc_;
  const Strand strand_;
  // Used on strand_ only (and in Listen/Run before and after the loop runs).
  Acceptor acceptor_;
  Timer backoff_timer_;
  Timer grace_timer_;
  std::optional<SignalSet> signals_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  bool ran_ = false;
};

// One connection. All members are used on executor_ only.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `admitted`: within max_connections; otherwise the Session answers 503 and closes.
  Session(ServerCore& server, Socket socket, std::shared_ptr<const ServerOptions> options,
          std::shared_ptr<TlsContext> tls_context, bool admitted);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const Strand& executor() const { return executor_; }

  void Start();
  // The server is stopping: close if idle, else finish the current request with Connection: close.
  void Shutdown();
  // Shutdown grace is over.
  void ForceClose() { Close(); }
  // The Responder's answer for request `seq`, posted from another thread; nullopt when the
  // Responder was destroyed without being called.
  void OnAnswer(uint64_t seq, std::optional<Response> response);
  // The same, called synchronously from inside the Handler (see t_handler_session).
  void OnSyncAnswer(uint64_t seq, std::optional<Response> response);

 private:
  enum class Phase { kHandshake, kIdle, kHead, kBody, kContinue, kHandling, kWriting, kLingering, kClosed };

  void OnHandshake(error_code ec);
  // After the handshake (if any): serve requests, or answer 503 when not admitted.
  void Begin();
  void RejectOverLimit();
  void StartRequest();
  // The request's first byte is here: take the current options and start parsing.
  void BeginHead();
  // Reads or writes through TLS when the connection has it, else on the socket.
  template <class Buffers, class Handler>
  void AsyncReadSome(const Buffers& buffers, Handler&& handler);
  template <class Buffers, class Handler>
  void AsyncWrite(const Buffers& buffers, Handler&& handler);
  void ReadMore();
  void OnRead(error_code ec, std::size_t bytes);
  void Parse();
  void WriteContinue();
  void OnContinueWritten(error_code ec, std::size_t bytes);
  void Dispatch();
  void FailRequest(error_code ec);
  void FailWithTimeout();
  void CaptureLogFields(const Request& request);
  Response AbandonedResponse() const;
  // Sends `response`. force_close: close afterwards whatever the request asked; linger: drain
  // unread input before closing (the request may not have been read completely).
  void Reply(Response response, bool force_close, bool linger);
  void OnWritten(error_code ec, std::size_t bytes);
  void LogAccess(std::size_t bytes_written, const error_code& ec);
  void Linger();
  void LingerRead();
  void OnLingerRead(error_code ec, std::size_t bytes);
  void Close();
  void SetDeadline(Clock::time_point deadline);
  void OnTimer(error_code ec);
  void OnDeadline();

  // Constant after construction.
  ServerCore& server_;
  const Strand executor_;
  const bool admitted_;

  Socket socket_;
  std::shared_ptr<TlsContext> tls_context_;  // null: plain HTTP
  std::optional<TlsStream> tls_;             // over socket_, from Start() when tls_context_ is set
  std::shared_ptr<const ServerOptions> options_;  // the snapshot for the current request
  Timer timer_;
  std::string remote_address_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  Phase phase_ = Phase::kIdle;
  bool first_request_ = true;
  bool stopping_ = false;
  bool phase_deadline_set_ = false;
  bool timer_waiting_ = false;
  Clock::time_point deadline_ = Clock::time_point::max();

  // The request being handled.
  uint64_t seq_ = 0;
  bool in_handler_ = false;
  Clock::time_point started_;
  std::size_t request_bytes_ = 0;
  bool keep_alive_ = false;
  bool head_request_ = false;
  bool http10_ = false;
  std::optional<Response> sync_answer_;
  std::string log_method_;
  std::string log_path_;
  std::string log_user_agent_;

  // The response being written.
  std::string head_;
  Response response_;
  std::size_t continue_bytes_ = 0;
  bool close_after_write_ = false;
  bool linger_after_write_ = false;
  std::size_t linger_bytes_ = 0;
};

// The Session whose Handler is running on this thread, so that a Responder called from inside the
// Handler hands its answer over directly instead of posting it (the common, synchronous case).
thread_local Session* t_handler_session = nullptr;

// What a Responder owns: decides which answer counts (the first) and delivers it.
class ResponseSlot {
 public:
  ResponseSlot(const std::shared_ptr<Session>& session, std::shared_ptr<Link> link, uint64_t seq)
      : session_(session), raw_session_(session.get()), link_(std::move(link)), seq_(seq) {}
  ResponseSlot(const ResponseSlot&) = delete;
  ResponseSlot& operator=(const ResponseSlot&) = delete;

  // Every copy of the Responder is gone: if nobody answered, the Session answers 500.
  ~ResponseSlot() {
    if (Claim()) Deliver(std::nullopt);
  }

  // True for the first caller only.
  bool Claim() { return !claimed_.exchange(true, std::memory_order_acq_rel); }

  void Answer(Response response) {
    if (Claim()) Deliver(std::move(response));
  }

 private:
  void Deliver(std::optional<Response> response) noexcept {
    if (t_handler_session == raw_session_) {  // inside the Handler, on the Session's strand
      raw_session_->OnSyncAnswer(seq_, std::move(response));
      return;
    }
    try {
      std::lock_guard<std::mutex> lock(link_->mu);
      if (!link_->open) return;
      std::shared_ptr<Session> session = session_.lock();
      if (!session) return;  // the connection is gone
      // The last reference may be this one once posted; it must not die outside the lock (its
      // destructor touches the io_context), so it is moved into the posted handler.
      const Strand& executor = session->executor();
      net::post(executor, [session = std::move(session), seq = seq_,
                           response = std::move(response)]() mutable {
        session->OnAnswer(seq, std::move(response));
      });
    } catch (const std::exception& e) {
      LogError("responder", e.what());
    }
  }

  std::atomic<bool> claimed_{false};
  const std::weak_ptr<Session> session_;
  Session* const raw_session_;  // only compared, or used on its own strand while it is alive
  const std::shared_ptr<Link> link_;
  const uint64_t seq_;
};

// ---------------------------------------------------------------------------------------------
// Session

Session::Session(ServerCore& server, Socket socket, std::shared_ptr<const ServerOptions> options,
                 std::shared_ptr<TlsContext> tls_context, bool admitted)
    : server_(server),
      executor_(socket.get_executor()),
      admitted_(admitted),
      socket_(std::move(socket)),
      tls_context_(std::move(tls_context)),
      options_(std::move(options)),
      timer_(executor_) {}

Session::~Session() { server_.Unregister(this, admitted_); }

template <class Buffers, class Handler>
void Session::AsyncReadSome(const Buffers& buffers, Handler&& handler) {
  if (tls_) {
    tls_->async_read_some(buffers, std::forward<Handler>(handler));
  } else {
    socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }
}

template <class Buffers, class Handler>
void Session::AsyncWrite(const Buffers& buffers, Handler&& handler) {
  if (tls_) {
    net::async_write(*tls_, buffers, std::forward<Handler>(handler));
  } else {
    net::async_write(socket_, buffers, std::forward<Handler>(handler));
  }
}

void Session::Start() {
  if (phase_ == Phase::kClosed) return;  // Shutdown() came first
  error_code ec;
  tcp::endpoint peer = socket_.remote_endpoint(ec);
  if (ec) {  // the peer left already
    Close();
    return;
  }
  remote_address_ = peer.address().to_string();
  if (tls_context_) {
    phase_ = Phase::kHandshake;
    tls_.emplace(socket_, *tls_context_);
    SetDeadline(Clock::now() + options_->header_timeout);
    tls_->async_handshake(net::ssl::stream_base::server,
                          beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
    return;
  }
  Begin();
}

void Session::OnHandshake(error_code ec) {
  if (phase_ != Phase::kHandshake) return;  // timed out or shut down meanwhile
  if (ec) {  // not TLS, an old protocol version, or the client gave up: nothing to answer
    Close();
    return;
  }
  phase_ = Phase::kIdle;
  Begin();
}

void Session::Begin() {
  if (admitted_) {
    StartRequest();
  } else {
    RejectOverLimit();
  }
}

void Session::RejectOverLimit() {
  started_ = Clock::now();
  Response response = server_.ErrorResponse(
      503, "too many open connections (the limit is " + std::to_string(options_->max_connections) +
               "); retry shortly");
  response.headers.emplace_back("Retry-After", "1");
  Reply(std::move(response), /*force_close=*/true, /*linger=*/true);
}

void Session::Shutdown() {
  stopping_ = true;
  switch (phase_) {
    case Phase::kHandshake:
    case Phase::kIdle:
      Close();
      break;
    case Phase::kWriting:
      close_after_write_ = true;
      break;
    default:  // head, body, handler: finish and answer with Connection: close
      break;
  }
}

void Session::StartRequest() {
  if (stopping_) {
    Close();
    return;
  }
  request_bytes_ = 0;
  continue_bytes_ = 0;
  phase_deadline_set_ = false;
  if (buffer_.size() > 0) {  // a pipelined request: its first byte is here already
    BeginHead();
    Parse();
    return;
  }
  phase_ = Phase::kIdle;
  const ServerOptions& options = *options_;
  SetDeadline(Clock::now() + (first_request_ ? options.header_timeout : options.idle_timeout));
  ReadMore();
}

void Session::BeginHead() {
  phase_ = Phase::kHead;
  phase_deadline_set_ = false;
  started_ = Clock::now();
  options_ = server_.current();  // a Reconfigure() applies from the next request's first byte
  parser_.emplace(*options_);
}

void Session::ReadMore() {
  std::size_t want = phase_ == Phase::kBody ? kBodyReadSize : kReadSize;
  want = std::max(want, std::min(buffer_.capacity() - buffer_.size(), kMaxReadSize));
  AsyncReadSome(buffer_.prepare(want), beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::OnRead(error_code ec, std::size_t bytes) {
  if (phase_ != Phase::kIdle && phase_ != Phase::kHead && phase_ != Phase::kBody) {
    return;  // closed, or a timeout moved on to answering 408
  }
  if (ec) {  // eof between requests is the normal end; anything else ends the connection too
    Close();
    return;
  }
  buffer_.commit(bytes);
  if (phase_ == Phase::kIdle) BeginHead();
  Parse();
}

void Session::Parse() {
  for (;;) {
    error_code ec;
    std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    request_bytes_ += used;
    if (ec == bhttp::error::need_more) break;
    if (ec) {
      FailRequest(ec);
      return;
    }
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    if (phase_ == Phase::kHead && parser_->is_header_done()) {
      phase_ = Phase::kBody;
      phase_deadline_set_ = false;
      // The client waits for a go-ahead before sending the body unless it sent some already.
      if (parser_->expect_continue() && parser_->http_version() >= 11 && buffer_.size() == 0) {
        WriteContinue();
        return;
      }
    }
    if (buffer_.size() == 0 || used == 0) break;
  }
  if (!phase_deadline_set_) {
    phase_deadline_set_ = true;
    if (phase_ == Phase::kHead) {
      SetDeadline(started_ + options_->header_timeout);
    } else {
      SetDeadline(Clock::now() + options_->body_timeout);
    }
  }
  ReadMore();
}

void Session::WriteContinue() {
  phase_ = Phase::kContinue;
  SetDeadline(Clock::now() + options_->body_timeout);
  AsyncWrite(net::buffer(kContinue.data(), kContinue.size()),
             beast::bind_front_handler(&Session::OnContinueWritten, shared_from_this()));
}

void Session::OnContinueWritten(error_code ec, std::size_t bytes) {
  if (phase_ != Phase::kContinue) return;
  if (ec) {
    Close();
    return;
  }
  continue_bytes_ += bytes;
  phase_ = Phase::kBody;
  phase_deadline_set_ = true;  // the body deadline was set by WriteContinue
  ReadMore();
}

void Session::CaptureLogFields(const Request& request) {
  if (!server_.options().access_log) return;
  log_method_ = request.method;
  log_path_ = request.path;
  log_user_agent_ = request.Header("User-Agent");
}

void Session::Dispatch() {
  phase_ = Phase::kHandling;
  RequestParser& parser = *parser_;
  keep_alive_ = parser.keep_alive();
  head_request_ = parser.is_head();
  http10_ = parser.http_version() < 11;
  Request& request = parser.request();
  request.remote_address = remote_address_;
  CaptureLogFields(request);

  ++seq_;
  auto slot = std::make_shared<ResponseSlot>(shared_from_this(), server_.link(), seq_);
  Responder responder = [slot](Response response) { slot->Answer(std::move(response)); };
  t_handler_session = this;
  in_handler_ = true;
  // The one catch per request: a throwing Handler is a bug, answered with 500 and logged.
  try {
    server_.handler()(std::move(request), std::move(responder));
  } catch (const std::exception& e) {
    LogError("handler threw", e.what());
    if (slot->Claim()) sync_answer_ = server_.ErrorResponse(500, "internal server error");
  } catch (...) {
    LogError("handler threw", "an exception not derived from std::exception");
    if (slot->Claim()) sync_answer_ = server_.ErrorResponse(500, "internal server error");
  }
  slot.reset();  // when the Handler kept no copy, ~ResponseSlot answers 500 right here
  in_handler_ = false;
  t_handler_session = nullptr;
  parser_.reset();

  if (sync_answer_) {
    Response response = std::move(*sync_answer_);
    sync_answer_.reset();
    Reply(std::move(response), false, false);
    return;
  }
  // Answered later from another thread; the timer keeps this Session alive meanwhile.
  SetDeadline(Clock::now() + options_->handler_timeout);
}

Response Session::AbandonedResponse() const {
  LogError("handler", "dropped its Responder without answering");
  Response response = server_.ErrorResponse(500, "internal server error");
  if (response.log_error.empty()) response.log_error = "responder dropped";
  return response;
}

void Session::OnSyncAnswer(uint64_t seq, std::optional<Response> response) {
  if (!in_handler_ || seq != seq_) return;
  sync_answer_ = response ? std::move(*response) : AbandonedResponse();
}

void Session::OnAnswer(uint64_t seq, std::optional<Response> response) {
  if (phase_ != Phase::kHandling || seq != seq_) return;  // too late: timed out or closed
  Reply(response ? std::move(*response) : AbandonedResponse(), false, false);
}

void Session::FailRequest(error_code ec) {
  const ServerOptions& options = *options_;
  int status = 400;
  std::string detail;
  if (ec == bhttp::error::body_limit) {
    status = 413;
    detail = "request body larger than " + std::to_string(options.body_limit) + " bytes";
  } else if (ec == bhttp::error::header_limit) {
    status = 431;
    detail = "request head larger than " + std::to_string(options.header_limit) + " bytes";
  } else if (!parser_->error_detail().empty()) {
    detail = parser_->error_detail();
  } else {
    detail = "malformed request: " + ec.message();
  }
  head_request_ = parser_->is_head();
  CaptureLogFields(parser_->request());
  Reply(server_.ErrorResponse(status, detail), true, true);
}

void Session::FailWithTimeout() {
  error_code ignored;
  socket_.cancel(ignored);  // the pending read completes with operation_aborted and is ignored
  head_request_ = parser_->is_head();
  CaptureLogFields(parser_->request());
  const char* detail = phase_ == Phase::kHead ? "timed out receiving the request head"
                                              : "timed out receiving the request body";
  Reply(server_.ErrorResponse(408, detail), true, true);
}

void Session::Reply(Response response, bool force_close, bool linger) {
  phase_ = Phase::kWriting;
  if (response.status < 200 || response.status > 599) {
    LogError("handler", "invalid status " + std::to_string(response.status));
    response = server_.ErrorResponse(500, "internal server error");
  }
  bool keep_alive = keep_alive_ && !force_close && !stopping_ &&
                    !wire::HeadersRequestClose(response.headers);
  close_after_write_ = !keep_alive;
  linger_after_write_ = linger;

  wire::ResponseHead head;
  head.status = response.status;
  head.reason = ReasonPhrase(response.status);
  head.headers = &response.headers;
  head.content_length = response.body.size();
  head.connection = !keep_alive ? wire::ConnectionHeader::kClose
                    : http10_   ? wire::ConnectionHeader::kKeepAlive
                                : wire::ConnectionHeader::kNone;
  head.date = CachedHttpDate();
  head_.clear();
  wire::AppendResponseHead(head, &head_);

  response_ = std::move(response);
  bool send_body = !head_request_ && !wire::StatusHasNoBody(response_.status);
  std::size_t body_size = send_body ? response_.body.size() : 0;
  std::array<net::const_buffer, 2> buffers = {net::buffer(head_),
                                              net::buffer(response_.body.data(), body_size)};
  SetDeadline(Clock::now() + options_->body_timeout);
  AsyncWrite(buffers, beast::bind_front_handler(&Session::OnWritten, shared_from_this()));
}

void Session::OnWritten(error_code ec, std::size_t bytes) {
  LogAccess(bytes, ec);
  if (phase_ != Phase::kWriting) return;  // closed meanwhile (timeout or shutdown grace)
  if (ec) {
    Close();
    return;
  }
  if (close_after_write_) {
    if (linger_after_write_ || buffer_.size() > 0) {
      Linger();
    } else {
      Close();
    }
    return;
  }
  response_ = Response();  // don't keep the body of an idle connection's last response
  first_request_ = false;
  StartRequest();
}

void Session::LogAccess(std::size_t bytes_written, const error_code& ec) {
  if (!server_.options().access_log) return;
  AccessLogEntry entry;
  entry.remote_address = remote_address_;
  entry.method = std::move(log_method_);
  entry.path = std::move(log_path_);
  entry.status = response_.status;
  entry.request_bytes = request_bytes_;
  entry.response_bytes = bytes_written + continue_bytes_;
  entry.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
  entry.user_agent = std::move(log_user_agent_);
  entry.tenant = std::move(response_.log_tenant);
  entry.credential = std::move(response_.log_credential);
  entry.error = std::move(response_.log_error);
  entry.note = std::move(response_.log_note);
  entry.client = std::move(response_.log_client);
  if (ec) {
    if (!entry.error.empty()) entry.error += "; ";
    entry.error += "response not sent: " + ec.message();
  }
  log_method_.clear();
  log_path_.clear();
  log_user_agent_.clear();
  server_.Log(entry);
}

void Session::Linger() {
  phase_ = Phase::kLingering;
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);  // the client sees EOF after our answer
  if (ec) {
    Close();
    return;
  }
  buffer_.clear();
  linger_bytes_ = 0;
  SetDeadline(Clock::now() + kLingerTime);
  LingerRead();
}

void Session::LingerRead() {
  socket_.async_read_some(buffer_.prepare(kBodyReadSize),
                          beast::bind_front_handler(&Session::OnLingerRead, shared_from_this()));
}

void Session::OnLingerRead(error_code ec, std::size_t bytes) {
  if (phase_ != Phase::kLingering) return;
  linger_bytes_ += bytes;
  if (ec || linger_bytes_ > kLingerMaxBytes) {  // eof: the client has read our answer and left
    Close();
    return;
  }
  LingerRead();  // discard: the bytes are never committed
}

void Session::Close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  error_code ignored;
  socket_.close(ignored);  // pending operations complete with operation_aborted
  timer_.cancel();
  timer_waiting_ = false;
  parser_.reset();
}

void Session::SetDeadline(Clock::time_point deadline) {
  deadline_ = deadline;
  // A pending wait that fires no later than the new deadline will re-arm itself in OnTimer.
  if (timer_waiting_ && timer_.expiry() <= deadline) return;
  timer_.expires_at(deadline);  // cancels the pending wait, if any
  timer_waiting_ = true;
  timer_.async_wait(beast::bind_front_handler(&Session::OnTimer, shared_from_this()));
}

void Session::OnTimer(error_code ec) {
  if (ec == net::error::operation_aborted) return;  // re-armed (another wait is pending) or closed
  timer_waiting_ = false;
  if (phase_ == Phase::kClosed) return;
  if (Clock::now() < deadline_) {  // the deadline moved later since the timer was armed
    SetDeadline(deadline_);
    return;
  }
  OnDeadline();
}

void Session::OnDeadline() {
  switch (phase_) {
    case Phase::kHandshake:
    case Phase::kIdle:  // no request started: just close
      Close();
      return;
    case Phase::kHead:
    case Phase::kBody:
      FailWithTimeout();
      return;
    case Phase::kHandling:
      Reply(server_.ErrorResponse(503, "the application did not answer in time"), true, false);
      return;
    case Phase::kContinue:
    case Phase::kWriting:
    case Phase::kLingering:
      Close();
      return;
    case Phase::kClosed:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// ServerCore

ServerCore::ServerCore(ServerOptions options, Handler handler)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      ioc_(std::max(1, options_.io_threads)),
      strand_(net::make_strand(ioc_)),
      acceptor_(strand_),
      backoff_timer_(strand_),
      grace_timer_(strand_) {
  current_ = std::make_shared<const ServerOptions>(options_);
}

ServerCore::~ServerCore() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->open = false;  // from now on Responders drop their answers
  }
  destroying_.store(true);
  // Members now die in reverse order: work guard, signals, timers, acceptor, then the io_context
  // with the handlers that still own Sessions (which unregister from sessions_, still alive).
}

std::string ServerCore::Listen() {
  std::string where = options_.host + ":" + std::to_string(options_.port);
  if (acceptor_.is_open()) return where + ": already listening";
  if (options_.max_connections == 0) return "max_connections must be at least 1";
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    std::string error;
    auto tls = MakeTlsContext(options_.tls_cert_file, options_.tls_key_file, &error);
    if (!tls) return error;
    std::lock_guard<std::mutex> lock(live_mu_);
    tls_ = std::move(tls);
  }
  error_code ec;
  tcp::endpoint endpoint;
  net::ip::address address = net::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options_.port);
  } else {  // a host name such as "localhost"
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(options_.host, std::to_string(options_.port),
                                    tcp::resolver::passive, ec);
    if (ec) return where + ": " + ec.message();
    if (results.empty()) return where + ": host not found";
    endpoint = results.begin()->endpoint();
  }
  auto fail = [&](const error_code& error) {
    error_code ignored;
    acceptor_.close(ignored);
    return where + ": " + error.message();
  };
  if (acceptor_.open(endpoint.protocol(), ec); ec) return fail(ec);
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) return fail(ec);
  if (acceptor_.bind(endpoint, ec); ec) return fail(ec);
  if (acceptor_.listen(kListenBacklog, ec); ec) return fail(ec);
  tcp::endpoint local = acceptor_.local_endpoint(ec);
  if (ec) return fail(ec);
  port_.store(local.port(), std::memory_order_relaxed);
  return {};
}

void ServerCore::Run(bool handle_signals) {
  if (ran_) return;
  ran_ = true;
  work_.emplace(ioc_.get_executor());
  if (handle_signals) {
    signals_.emplace(strand_, SIGINT, SIGTERM);
    signals_->async_wait([this](error_code ec, int) {
      if (!ec) Stop();
    });
  }
  net::post(strand_, [this] { DoAccept(); });

  std::vector<std::thread> threads;
  for (int i = 1; i < options_.io_threads; ++i) threads.emplace_back([this] { RunLoop(); });
  RunLoop();
  for (std::thread& thread : threads) thread.join();

  // The loop has stopped; nothing else touches these now. Dropping the signal set restores the
  // default dispositions of SIGINT and SIGTERM.
  work_.reset();
  signals_.reset();
  error_code ignored;
  acceptor_.close(ignored);
}

void ServerCore::RunLoop() {
  for (;;) {
    try {
      ioc_.run();
      return;
    } catch (const std::exception& e) {  // a bug in a completion handler; keep serving
      LogError("event loop", e.what());
    } catch (...) {
      LogError("event loop", "unknown exception");
    }
  }
}

void ServerCore::DoAccept() {
  if (stopping_.load() || !acceptor_.is_open()) return;
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&ServerCore::OnAccept, this));
}

void ServerCore::OnAccept(error_code ec, Socket socket) {
  if (ec == net::error::operation_aborted || stopping_.load()) return;
  if (ec) {
    // EMFILE and friends: the listening socket stays readable, so retrying at once would spin.
    LogError("accept", ec.message());
    backoff_timer_.expires_after(kAcceptBackoff);
    backoff_timer_.async_wait([this](error_code wait_ec) {
      if (!wait_ec) DoAccept();
    });
    return;
  }
  try {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // responses go out in one write; no Nagle
    std::shared_ptr<const ServerOptions> options;
    std::shared_ptr<TlsContext> tls;
    {
      std::lock_guard<std::mutex> lock(live_mu_);
      options = current_;
      tls = tls_;
    }
    bool admitted = admitted_.load() < options->max_connections;
    if (!admitted && rejecting_.load() >= kMaxRejecting) {
      socket.close(ignored);
      DoAccept();
      return;
    }
    (admitted ? admitted_ : rejecting_).fetch_add(1);
    auto session = std::make_shared<Session>(*this, std::move(socket), std::move(options), std::move(tls), admitted);
    {
      std::lock_guard<std::mutex> lock(sessions_mu_);
      sessions_.insert(session.get());
    }
    net::dispatch(session->executor(), [session] { session->Start(); });
  } catch (const std::exception& e) {
    LogError("accept", e.what());
  }
  DoAccept();
}

void ServerCore::Unregister(Session* session, bool admitted) {
  (admitted ? admitted_ : rejecting_).fetch_sub(1);
  bool last = false;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.erase(session);
    last = sessions_.empty();
  }
  if (last && stopping_.load() && !destroying_.load()) ioc_.stop();
}

std::vector<std::shared_ptr<Session>> ServerCore::SnapshotSessions() {
  std::vector<std::shared_ptr<Session>> sessions;
  std::lock_guard<std::mutex> lock(sessions_mu_);
  sessions.reserve(sessions_.size());
  for (Session* session : sessions_) {
    // Empty for a Session whose destructor is waiting for sessions_mu_ in Unregister.
    if (auto alive = session->weak_from_this().lock()) sessions.push_back(std::move(alive));
  }
  return sessions;
}

void ServerCore::Stop() {
  if (stopping_.exchange(true)) return;
  net::post(strand_, [this] { DoStop(); });
}

void ServerCore::DoStop() {
  error_code ignored;
  acceptor_.close(ignored);
  if (options_.on_stop) options_.on_stop();
  backoff_timer_.cancel();
  if (signals_) signals_->cancel(ignored);
  work_.reset();
  std::vector<std::shared_ptr<Session>> sessions = SnapshotSessions();
  if (sessions.empty()) {
    ioc_.stop();
    return;
  }
  for (const auto& session : sessions) {
    net::post(session->executor(), [session] { session->Shutdown(); });
  }
  grace_timer_.expires_after(current()->shutdown_grace);
  grace_timer_.async_wait([this](error_code ec) {
    if (!ec) ForceCloseAll();
  });
}

void ServerCore::ForceCloseAll() {
  std::vector<std::shared_ptr<Session>> sessions = SnapshotSessions();
  if (!sessions.empty()) {
    LogError("shutdown", "grace period over, closing " + std::to_string(sessions.size()) +
                             " connection(s)");
  }
  for (const auto& session : sessions) {
    net::post(session->executor(), [session] { session->ForceClose(); });
  }
}

std::string ServerCore::Reconfigure(const ServerOptions& updated) {
  bool had_tls = !options_.tls_cert_file.empty() || !options_.tls_key_file.empty();
  bool wants_tls = !updated.tls_cert_file.empty() || !updated.tls_key_file.empty();
  if (had_tls != wants_tls) {
    return had_tls ? "turning HTTPS off needs a restart" : "turning HTTPS on needs a restart";
  }
  if (updated.max_connections == 0) return "max_connections must be at least 1";
  std::shared_ptr<TlsContext> tls;
  if (wants_tls) {
    std::string error;
    tls = MakeTlsContext(updated.tls_cert_file, updated.tls_key_file, &error);
    if (!tls) return error;
  }
  auto next = std::make_shared<ServerOptions>(options_);  // callbacks and addresses as constructed
  next->body_limit = updated.body_limit;
  next->header_limit = updated.header_limit;
  next->header_timeout = updated.header_timeout;
  next->body_timeout = updated.body_timeout;
  next->idle_timeout = updated.idle_timeout;
  next->handler_timeout = updated.handler_timeout;
  next->shutdown_grace = updated.shutdown_grace;
  next->max_connections = updated.max_connections;
  next->tls_cert_file = updated.tls_cert_file;
  next->tls_key_file = updated.tls_key_file;
  std::lock_guard<std::mutex> lock(live_mu_);
  current_ = std::move(next);
  if (tls) tls_ = std::move(tls);
  return {};
}

Response ServerCore::ErrorResponse(int status, std::string_view detail) const {
  Response response;
  bool made = false;
  if (options_.error_responder) {
    try {
      response = options_.error_responder(status, detail);
      made = true;
    } catch (const std::exception& e) {
      LogError("error_responder threw", e.what());
    } catch (...) {
      LogError("error_responder threw", "an exception not derived from std::exception");
    }
  }
  if (!made) {
    response = Response();
    response.status = status;
    response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    response.body.assign(detail);
    response.body.push_back('\n');
  }
  if (response.log_error.empty()) response.log_error.assign(detail);
  return response;
}

void ServerCore::Log(const AccessLogEntry& entry) const {
  if (!options_.access_log) return;
  try {
    options_.access_log(entry);
  } catch (const std::exception& e) {
    LogError("access_log threw", e.what());
  } catch (...) {
    LogError("access_log threw", "an exception not derived from std::exception");
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Server

struct Server::Impl {
  Impl(ServerOptions options, Handler handler) : core(std::move(options), std::move(handler)) {}
  ServerCore core;
};

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

std::string Server::Listen() { return impl_->core.Listen(); }

uint16_t Server::port() const { return impl_->core.port(); }

void Server::Run(bool handle_signals) { impl_->core.Run(handle_signals); }

std::string Server::Reconfigure(const ServerOptions& updated) { return impl_->core.Reconfigure(updated); }

void Server::Stop() { impl_->core.Stop(); }

}  // namespace scim::http
