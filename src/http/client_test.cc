// Tests of the outbound HTTP client over real sockets on 127.0.0.1. Ordinary exchanges go to the
// project's own Server; responses it never sends (chunked, interim 1xx, a body ended by the
// connection's end, an oversized head) and TLS come from RawServer, a small blocking server that
// answers every connection with canned bytes, over TLS with a certificate made at test time.
// Every wait is bounded, so a broken client fails a test instead of hanging.
#include "http/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "http/server.h"
#include "http/test_certificate.h"
#include "http/test_server.h"
#include "http/wire.h"

namespace scim::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test_support::MakeCertificate;
using test_support::TestCertificate;
using test_support::TestServer;

std::string HeaderOf(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (wire::IEquals(n, name)) return v;
  }
  return "<absent>";
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

ServerOptions TestOptions() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.io_threads = 2;
  options.shutdown_grace = 1s;
  options.error_responder = [](int status, std::string_view detail) {
    Response response;
    response.status = status;
    response.body = std::string(detail);
    return response;
  };
  return options;
}

// The last request a handler saw, for the test to look at.
class Seen {
 public:
  void Set(const Request& request) {
    std::lock_guard<std::mutex> lock(mu_);
    request_ = request;
  }
  Request Get() {
    std::lock_guard<std::mutex> lock(mu_);
    return request_;
  }

 private:
  std::mutex mu_;
  Request request_;
};

// A blocking server on 127.0.0.1 that serves one connection at a time: it reads the request head
// and its Content-Length body, writes `reply` as given, and closes. With a certificate it speaks
// TLS first (and records the SNI name it was sent).
class RawServer {
 public:
  explicit RawServer(std::string reply, const TestCertificate* certificate = nullptr)
      : reply_(std::move(reply)) {
    std::signal(SIGPIPE, SIG_IGN);  // a client that stops reading must not end the test binary
    if (certificate != nullptr) {
      tls_.reset(SSL_CTX_new(TLS_server_method()));
      if (!tls_ || SSL_CTX_use_certificate(tls_.get(), certificate->cert.get()) != 1 ||
          SSL_CTX_use_PrivateKey(tls_.get(), certificate->key.get()) != 1) {
        throw std::runtime_error("OpenSSL: server context");
      }
    }
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    if (listen_fd_ < 0 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 8) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
      throw std::runtime_error("RawServer: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~RawServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }
  std::string Url(std::string_view scheme, std::string_view host = "127.0.0.1") const {
    return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(port_) + "/hook";
  }
  std::string request() {
    std::lock_guard<std::mutex> lock(mu_);
    return request_;
  }
  std::string server_name() {
    std::lock_guard<std::mutex> lock(mu_);
    return server_name_;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      timeval limit{3, 0};  // a stuck client cannot hold this thread for long
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
      Serve(fd);
      ::close(fd);
    }
  }

  void Serve(int fd) {
    SSL* ssl = nullptr;
    if (tls_) {
      ssl = SSL_new(tls_.get());
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        return;
      }
      const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
      std::lock_guard<std::mutex> lock(mu_);
      server_name_ = name != nullptr ? name : "";
    }
    auto receive = [&](char* buf, int size) {
      return ssl != nullptr ? SSL_read(ssl, buf, size) : static_cast<int>(::recv(fd, buf, size, 0));
    };
    auto send = [&](const char* data, int size) {
      return ssl != nullptr ? SSL_write(ssl, data, size)
                            : static_cast<int>(::send(fd, data, size, MSG_NOSIGNAL));
    };
    std::string request;
    size_t head_end;
    char buf[4096];
    while ((head_end = request.find("\r\n\r\n")) == std::string::npos) {
      int n = receive(buf, sizeof buf);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    if (head_end != std::string::npos) {
      size_t length = 0;
      std::string lower;
      for (char c : request.substr(0, head_end)) lower += static_cast<char>(std::tolower(c));
      if (size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
        length = std::stoul(lower.substr(at + 17));
      }
      while (request.size() < head_end + 4 + length) {
        int n = receive(buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        request_ = request;
      }
      for (size_t sent = 0; sent < reply_.size();) {
        size_t piece = std::min<size_t>(reply_.size() - sent, 65536);
        int n = send(reply_.data() + sent, static_cast<int>(piece));
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
    }
    if (ssl != nullptr) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
  }

  const std::string reply_;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls_{nullptr, SSL_CTX_free};
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::string request_;      // guarded by mu_
  std::string server_name_;  // guarded by mu_
};

std::string Chunked(const std::vector<std::string>& chunks) {
  std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (const std::string& chunk : chunks) {
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    out += size + chunk + "\r\n";
  }
  return out + "0\r\n\r\n";
}

// --- URLs ----------------------------------------------------------------------------------------

TEST(ClientUrlTest, ParseUrl) {
  struct Case {
    std::string_view url;
    std::string_view scheme, host;  // scheme empty: expect an error containing `host`
    uint16_t port;
    std::string_view target;
  };
  const Case cases[] = {
      {"http://example.com", "http", "example.com", 80, "/"},
      {"http://example.com/", "http", "example.com", 80, "/"},
      {"https://example.com", "https", "example.com", 443, "/"},
      {"https://example.com/hooks/scim", "https", "example.com", 443, "/hooks/scim"},
      {"HTTPS://Hooks.Example.com:8443/a/b?x=1&y=%20", "https", "Hooks.Example.com", 8443,
       "/a/b?x=1&y=%20"},
      {"http://127.0.0.1:8080/hook", "http", "127.0.0.1", 8080, "/hook"},
      {"http://[::1]:8080/", "http", "::1", 8080, "/"},
      {"https://[2001:db8::1]/x", "https", "2001:db8::1", 443, "/x"},
      {"http://example.com?x=1", "http", "example.com", 80, "/?x=1"},
      {"http://example.com/a#fragment", "http", "example.com", 80, "/a"},
      {"http://example.com#fragment", "http", "example.com", 80, "/"},
      {"http://my_host-1.internal:65535", "http", "my_host-1.internal", 65535, "/"},

      {"", "", "expected http://host/", 0, ""},
      {"example.com/path", "", "expected http://host/", 0, ""},
      {"://example.com", "", "expected http://host/", 0, ""},
      {"ftp://x", "", "invalid URL 'ftp://x': only http and https are supported", 0, ""},
      {"http://", "", "empty host", 0, ""},
      {"http:///path", "", "empty host", 0, ""},
      {"http://:8080/", "", "empty host", 0, ""},
      {"http://user:secret@example.com/", "", "user information", 0, ""},
      {"http://@example.com/", "", "user information", 0, ""},
      {"http://example.com:0/", "", "bad port '0'", 0, ""},
      {"http://example.com:65536/", "", "bad port '65536'", 0, ""},
      {"http://example.com:080808/", "", "bad port", 0, ""},
      {"http://example.com:80a/", "", "bad port '80a'", 0, ""},
      {"http://example.com:-1/", "", "bad port", 0, ""},
      {"http://example.com:/", "", "bad port ''", 0, ""},
      {"http://example.com/a b", "", "space", 0, ""},
      {"http://example.com/\r\nX-Injected: 1", "", "'http://example.com/\\x0d\\x0aX-Injected", 0,
       ""},
      {"http://exa mple.com/", "", "space", 0, ""},
      {"http://example.com/\t", "", "control", 0, ""},
      {"http://example.com/\xc3\xa9", "", "non-ASCII", 0, ""},
      {"http://[::1/", "", "without ']'", 0, ""},
      {"http://[::1]x/", "", "after ']'", 0, ""},
      {"http://[]/", "", "bad IPv6 address", 0, ""},
      {"http://[not:an:address]/", "", "bad IPv6 address", 0, ""},
      {"http://::1/", "", "empty host", 0, ""},
      {"http://exa!mple.com/", "", "bad character '!'", 0, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.url));
    auto url = ParseUrl(c.url);
    if (c.scheme.empty()) {
      ASSERT_FALSE(url) << url->host;
      EXPECT_TRUE(Contains(url.error(), c.host)) << url.error();
      EXPECT_EQ(url.error().rfind("invalid URL '", 0), 0u) << url.error();
      continue;
    }
    ASSERT_TRUE(url) << url.error();
    EXPECT_EQ(url->scheme, c.scheme);
    EXPECT_EQ(url->host, c.host);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->target, c.target);
  }
}

// --- Plain HTTP against the project's Server -----------------------------------------------------

TEST(ClientTest, PostRoundTripsBodyAndHeaders) {
  Seen seen;
  TestServer server(TestOptions(), [&](Request request, Responder respond) {
    seen.Set(request);
    Response response;
    response.headers.emplace_back("Content-Type", "application/json");
    response.headers.emplace_back("X-Echo-Signature", std::string(request.Header("X-Signature")));
    response.body = request.body;
    respond(std::move(response));
  });
  ClientRequest request;
  request.url = server.Url("/hooks/scim?attempt=1");
  request.headers = {{"Content-Type", "application/scim+json"}, {"X-Signature", "sha256=abc"}};
  request.body =
      R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"})";
  auto response = Fetch(request);
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, request.body);
  EXPECT_FALSE(response->body_truncated);
  EXPECT_EQ(HeaderOf(response->headers, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(response->headers, "x-echo-signature"), "sha256=abc");
  EXPECT_EQ(HeaderOf(response->headers, "Content-Length"), std::to_string(request.body.size()));

  Request got = seen.Get();
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/hooks/scim?attempt=1");
  EXPECT_EQ(got.body, request.body);
  EXPECT_EQ(got.Header("Content-Type"), "application/scim+json");
  EXPECT_EQ(got.Header("X-Signature"), "sha256=abc");
  EXPECT_EQ(got.Header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(got.Header("Content-Length"), std::to_string(request.body.size()));
  EXPECT_EQ(got.Header("Connection"), "close");
  EXPECT_EQ(got.Header("User-Agent"), "scimd");
}

TEST(ClientTest, GivenHeadersAreKeptAndEmptyGetHasNoContentLength) {
  Seen seen;
  TestServer server(TestOptions(), [&](Request request, Responder respond) {
    seen.Set(request);
    respond(Response{});
  });
  auto response = Fetch({.method = "GET",
                         .url = server.Url("/x"),
                         .headers = {{"host", "hooks.example.com"}, {"user-agent", "idp/2"}}});
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
  Request got = seen.Get();
  EXPECT_EQ(got.method, "GET");
  EXPECT_EQ(got.Header("Host"), "hooks.example.com");
  EXPECT_EQ(got.Header("User-Agent"), "idp/2");
  EXPECT_EQ(got.Header("Content-Length"), "");
  int hosts = 0;
  for (const auto& [name, value] : got.headers) hosts += wire::IEquals(name, "host");
  EXPECT_EQ(hosts, 1);
}

TEST(ClientTest, NonSuccessStatusIsAResponse) {
  TestServer server(TestOptions(), [](Request request, Responder respond) {
    Response response;
    response.status = request.path == "/gone" ? 410 : 503;
    response.headers.emplace_back("Retry-After", "30");
    response.body = "not now";
    respond(std::move(response));
  });
  for (auto [target, status] : {std::pair{"/gone", 410}, std::pair{"/busy", 503}}) {
    auto response = Fetch({.url = server.Url(target), .body = "{}"});
    ASSERT_TRUE(response) << response.error();
    EXPECT_EQ(response->status, status);
    EXPECT_EQ(response->body, "not now");
    EXPECT_EQ(HeaderOf(response->headers, "Retry-After"), "30");
  }
}

TEST(ClientTest, HeadResponseHasNoBody) {
  TestServer server(TestOptions(), [](Request, Responder respond) {
    Response response;
    response.body = std::string(100, 'x');
    respond(std::move(response));
  });
  auto response = Fetch({.method = "HEAD", .url = server.Url()});
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(HeaderOf(response->headers, "Content-Length"), "100");
  EXPECT_EQ(response->body, "");
}

TEST(ClientTest, ConnectionRefusedIsAnError) {
  // A port bound but not listening refuses connections, and nobody else can take it meanwhile.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  std::string port = std::to_string(ntohs(addr.sin_port));

  auto response = Fetch({.url = "http://127.0.0.1:" + port + "/hook", .body = "{}"});
  ::close(fd);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), "connect 127.0.0.1:" + port + ": Connection refused");
}

TEST(ClientTest, HandlerThatNeverAnswersTimesOut) {
  std::mutex mu;
  std::vector<Responder> held;  // answered at the end, so the server can stop at once
  TestServer server(TestOptions(), [&](Request, Responder respond) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(std::move(respond));
  });
  ClientOptions options;
  options.total_timeout = 300ms;
  auto start = Clock::now();
  auto response = Fetch({.url = server.Url("/slow"), .body = "{}"}, options);
  auto elapsed = Clock::now() - start;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (Responder& respond : held) respond(Response{});
  }
  ASSERT_FALSE(response) << response->status;
  EXPECT_TRUE(Contains(response.error(), "timed out")) << response.error();
  EXPECT_EQ(response.error(), "timed out after 300 ms (waiting for the response)");
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 10s);
}

TEST(ClientTest, ConnectTimeout) {
  // A listener whose backlog is full: Linux drops further SYNs, so a connect hangs.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // EINPROGRESS expected
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(50ms);
  std::string port = std::to_string(ntohs(addr.sin_port));

  ClientOptions options;
  options.connect_timeout = 200ms;
  options.total_timeout = 2000ms;
  auto start = Clock::now();
  auto response = Fetch({.url = "http://127.0.0.1:" + port + "/"}, options);
  auto elapsed = Clock::now() - start;
  for (int fd : fillers) ::close(fd);
  ::close(listener);
  ASSERT_FALSE(response);
  if (response.error() == "timed out after 2000 ms (waiting for the response)") {
    GTEST_SKIP() << "this kernel accepted a connection beyond the backlog";
  }
  EXPECT_EQ(response.error(), "connect 127.0.0.1:" + port + ": timed out after 200 ms");
  EXPECT_LT(elapsed, 10s);
}

TEST(ClientTest, LongBodyIsTruncated) {
  std::string body(100 * 1000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  TestServer server(TestOptions(), [&](Request, Responder respond) {
    Response response;
    response.body = body;
    respond(std::move(response));
  });
  ClientOptions options;
  options.max_response_body = 1000;
  auto response = Fetch({.method = "GET", .url = server.Url()}, options);
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, body.substr(0, 1000));
  EXPECT_TRUE(response->body_truncated);

  options.max_response_body = body.size();  // exactly at the limit: whole, not truncated
  response = Fetch({.method = "GET", .url = server.Url()}, options);
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->body, body);
  EXPECT_FALSE(response->body_truncated);

  options.max_response_body = 0;
  response = Fetch({.method = "GET", .url = server.Url()}, options);
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
  EXPECT_TRUE(response->body_truncated);
}

TEST(ClientTest, HostNameIsResolved) {
  TestServer server(TestOptions(), [](Request request, Responder respond) {
    Response response;
    response.body = std::string(request.Header("Host"));
    respond(std::move(response));
  });
  auto response =
      Fetch({.method = "GET", .url = "http://localhost:" + std::to_string(server.port()) + "/"});
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->body, "localhost:" + std::to_string(server.port()));
}

TEST(ClientTest, UnknownHostIsAnError) {
  // Without a reachable DNS server the lookup may hang instead; then the deadline ends it.
  ClientOptions options;
  options.total_timeout = 3000ms;
  auto response = Fetch({.url = "http://no-such-host.invalid/hook"}, options);
  ASSERT_FALSE(response);
  EXPECT_TRUE(response.error().rfind("resolve no-such-host.invalid: ", 0) == 0 ||
              response.error() == "timed out after 3000 ms (resolving no-such-host.invalid)")
      << response.error();
}

TEST(ClientTest, ConcurrentFetchesFromManyThreads) {
  TestServer server(TestOptions(), [](Request request, Responder respond) {
    Response response;
    response.body = request.body;
    respond(std::move(response));
  });
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::string body = std::to_string(t) + "-" + std::to_string(i);
        auto response = Fetch({.url = server.Url(), .body = body});
        if (response && response->status == 200 && response->body == body) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 20);
}

TEST(ClientTest, BadRequestsFailBeforeSending) {
  struct Case {
    ClientRequest request;
    std::string_view error;
  };
  const Case cases[] = {
      {{.url = "ftp://x"}, "invalid URL 'ftp://x': only http and https are supported"},
      {{.method = "GET /x", .url = "http://127.0.0.1:9/"}, "invalid method 'GET /x'"},
      {{.method = "", .url = "http://127.0.0.1:9/"}, "invalid method ''"},
      {{.url = "http://127.0.0.1:9/", .headers = {{"X-Sig", "a\r\nX-Evil: 1"}}},
       "header 'X-Sig': the value holds CR, LF or NUL"},
      {{.url = "http://127.0.0.1:9/", .headers = {{"X Sig", "a"}}}, "invalid header name 'X Sig'"},
      {{.url = "http://127.0.0.1:9/", .headers = {{"Bad\n", "a"}}},
       "invalid header name 'Bad\\x0a'"},
      {{.url = "http://127.0.0.1:9/", .headers = {{"Transfer-Encoding", "chunked"}}},
       "header 'Transfer-Encoding' is not supported"},
      {{.url = "http://127.0.0.1:9/", .headers = {{"Content-Length", "5"}}, .body = "1234"},
       "header 'Content-Length: 5' does not match the body's 4 bytes"},
  };
  for (const Case& c : cases) {
    auto response = Fetch(c.request);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().rfind(c.error, 0), 0u) << response.error();
  }
}

// --- Responses only RawServer sends --------------------------------------------------------------

TEST(ClientTest, ChunkedResponse) {
  RawServer server(Chunked({"hello, ", "chunked ", "world"}));
  auto response = Fetch({.url = server.Url("http"), .body = "{}"});
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello, chunked world");
  EXPECT_FALSE(response->body_truncated);
  EXPECT_TRUE(Contains(server.request(), "\r\n\r\n{}")) << server.request();

  ClientOptions options;
  options.max_response_body = 10;
  response = Fetch({.url = server.Url("http")}, options);
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->body, "hello, chu");
  EXPECT_TRUE(response->body_truncated);
}

TEST(ClientTest, LargeChunkedResponseIsTruncated) {
  std::vector<std::string> chunks(40, std::string(5000, 'z'));
  RawServer server(Chunked(chunks));
  ClientOptions options;
  options.max_response_body = 64 * 1024;
  auto response = Fetch({.url = server.Url("http")}, options);
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->body, std::string(64 * 1024, 'z'));
  EXPECT_TRUE(response->body_truncated);
}

TEST(ClientTest, BodyEndedByConnectionClose) {
  RawServer server("HTTP/1.1 202 Accepted\r\nConnection: close\r\n\r\nqueued");
  auto response = Fetch({.url = server.Url("http")});
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->body, "queued");
}

TEST(ClientTest, InterimResponsesAreSkipped) {
  RawServer server("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                   "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  auto response = Fetch({.url = server.Url("http")});
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "ok");
  EXPECT_EQ(HeaderOf(response->headers, "Link"), "<absent>");
}

TEST(ClientTest, OversizedResponseHeaderIsAnError) {
  RawServer server("HTTP/1.1 200 OK\r\nX-Big: " + std::string(20000, 'b') +
                   "\r\nContent-Length: 0\r\n\r\n");
  auto response = Fetch({.url = server.Url("http")});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), "read response: header larger than 16384 bytes");
}

TEST(ClientTest, IncompleteBodyIsAnError) {
  RawServer server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
  auto response = Fetch({.url = server.Url("http")});
  ASSERT_FALSE(response);
  EXPECT_TRUE(Contains(response.error(), "read response body: ")) << response.error();
}

TEST(ClientTest, ClosedWithoutResponseIsAnError) {
  RawServer server("");
  auto response = Fetch({.url = server.Url("http")});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), "read response: connection closed before a response");
}

// --- TLS -----------------------------------------------------------------------------------------

TEST(ClientTlsTest, HttpsToPlainHttpPortIsATlsError) {
  TestServer server(TestOptions(), [](Request, Responder respond) { respond(Response{}); });
  std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  for (bool verify : {true, false}) {
    ClientOptions options;
    options.verify_tls = verify;
    auto response = Fetch({.url = url}, options);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().rfind("TLS handshake: ", 0), 0u) << response.error();
  }
  auto parsed = ParseUrl("https://hooks.example.com/scim");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->port, 443);
}

TEST(ClientTlsTest, MissingCaFileIsAnError) {
  ClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  auto response = Fetch({.url = "https://127.0.0.1:9/"}, options);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().rfind("TLS CA file '/nonexistent/ca.pem': ", 0), 0u)
      << response.error();
}

class ClientTlsServerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    good_ = new TestCertificate(
        MakeCertificate("DNS:localhost,IP:127.0.0.1", "scimd_client_good.pem"));
    other_ = new TestCertificate(MakeCertificate("DNS:other.example", "scimd_client_other.pem"));
  }
  static void TearDownTestSuite() {
    std::remove(good_->pem_path.c_str());
    std::remove(good_->key_pem_path.c_str());
    std::remove(other_->pem_path.c_str());
    std::remove(other_->key_pem_path.c_str());
    delete good_;
    delete other_;
  }
  static inline TestCertificate* good_ = nullptr;   // for localhost and 127.0.0.1
  static inline TestCertificate* other_ = nullptr;  // for other.example only

  static constexpr std::string_view kReply = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure";
};

TEST_F(ClientTlsServerTest, TrustedCertificateByNameAndByAddress) {
  RawServer server(std::string(kReply), good_);
  ClientOptions options;
  options.ca_file = good_->pem_path;

  auto response = Fetch({.url = server.Url("https", "localhost"), .body = "{}"}, options);
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "secure");
  EXPECT_EQ(server.server_name(), "localhost");  // SNI
  EXPECT_TRUE(Contains(server.request(), "Host: localhost:" + std::to_string(server.port())));

  response = Fetch({.url = server.Url("https", "127.0.0.1")}, options);
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->body, "secure");
  EXPECT_EQ(server.server_name(), "");  // no SNI for an address
}

TEST_F(ClientTlsServerTest, UntrustedCertificateFails) {
  RawServer server(std::string(kReply), good_);
  auto response = Fetch({.url = server.Url("https", "localhost")});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().rfind("TLS handshake: certificate verify failed: ", 0), 0u)
      << response.error();
  EXPECT_TRUE(Contains(response.error(), "self-signed")) << response.error();
}

TEST_F(ClientTlsServerTest, HostMismatchFails) {
  RawServer server(std::string(kReply), other_);
  ClientOptions options;
  options.ca_file = other_->pem_path;
  auto response = Fetch({.url = server.Url("https", "localhost")}, options);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), "TLS handshake: certificate verify failed: hostname mismatch");
  response = Fetch({.url = server.Url("https", "127.0.0.1")}, options);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), "TLS handshake: certificate verify failed: IP address mismatch");
}

TEST_F(ClientTlsServerTest, VerificationOffAcceptsAnyCertificate) {
  RawServer server(std::string(kReply), other_);
  ClientOptions options;
  options.verify_tls = false;
  auto response = Fetch({.url = server.Url("https", "localhost")}, options);
  ASSERT_TRUE(response) << response.error();
  EXPECT_EQ(response->body, "secure");
}

}  // namespace
}  // namespace scim::http
