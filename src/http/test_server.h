// For the http layer's tests only (server_test.cc, client_test.cc): the project's Server running on
// its own thread for the duration of a test, on a free port of 127.0.0.1.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "http/server.h"

namespace scim::http::test_support {

class TestServer {
 public:
  // Listens (throws when it cannot) and runs the server until destruction.
  TestServer(ServerOptions options, Handler handler) : server_(std::move(options), std::move(handler)) {
    std::string error = server_.Listen();
    if (!error.empty()) throw std::runtime_error(error);
    stopped_ = done_.get_future();
    thread_ = std::thread([this] {
      server_.Run(false);
      done_.set_value();
    });
  }
  ~TestServer() {
    server_.Stop();
    if (stopped_.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "Run() did not return after Stop()";
      std::abort();  // joining would hang the whole suite
    }
    thread_.join();
  }

  uint16_t port() const { return server_.port(); }
  Server& server() { return server_; }
  std::string Url(std::string_view target = "/") const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + std::string(target);
  }
  void Stop() { server_.Stop(); }
  bool WaitStopped(std::chrono::milliseconds timeout) {
    return stopped_.wait_for(timeout) == std::future_status::ready;
  }

 private:
  Server server_;
  std::promise<void> done_;
  std::future<void> stopped_;
  std::thread thread_;
};

}  // namespace scim::http::test_support
