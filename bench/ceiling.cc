// scimd-ceiling: the reference point of bench/. A keep-alive HTTP/1.1 server on scimd's own http
// layer (scim::http::Server) that answers every request with the same ~1 KB SCIM User, and does
// nothing else: no routing, no authentication, no database, no access log. Whatever scimd spends
// beyond this is the cost of being a SCIM server, so bench/ prints scimd's figures as a share of
// this server's requests per second, measured in the same run on the same machine.
//
//   scimd-ceiling [--listen HOST:PORT] [--threads N]
//
// Port 0 picks a free port; the chosen one is printed as "scimd-ceiling listening on http://...".
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "http/server.h"

namespace {

// A user as scimd renders one for an Okta-provisioned account (~1 KB), meta included.
constexpr std::string_view kUserJson =
    R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",)"
    R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],)"
    R"("id":"5f0c6a2e-8d4b-4c1e-9a7f-3b2d1e0f9c8a","externalId":"00u1a2b3c4d5e6f7g8h9",)"
    R"("userName":"ada.lovelace@example.com",)"
    R"("name":{"givenName":"Ada","familyName":"Lovelace","formatted":"Ada Lovelace"},)"
    R"("displayName":"Ada Lovelace","nickName":"ada","title":"Analyst","userType":"Employee",)"
    R"("preferredLanguage":"en-GB","locale":"en-GB","timezone":"Europe/London","active":true,)"
    R"("emails":[{"value":"ada.lovelace@example.com","type":"work","primary":true}],)"
    R"("phoneNumbers":[{"value":"+44 20 7946 0958","type":"work"}],)"
    R"("addresses":[{"streetAddress":"12 St James's Square","locality":"London",)"
    R"("postalCode":"SW1Y 4JH","country":"GB","type":"work","primary":true}],)"
    R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1815",)"
    R"("costCenter":"R&D","organization":"Analytical Engines","division":"Research",)"
    R"("department":"Mathematics","manager":{"value":"7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}},)"
    R"("groups":[],)"
    R"("meta":{"resourceType":"User","created":"2024-05-01T09:30:00.000Z",)"
    R"("lastModified":"2024-05-01T09:30:00.000Z","version":"W/\"1\"",)"
    R"("location":"http://127.0.0.1:8080/scim/v2/demo/Users/5f0c6a2e-8d4b-4c1e-9a7f-3b2d1e0f9c8a"}})";

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 2;  // scimd's io_threads on a 2-core machine
};

void PrintUsage() {
  std::fputs("usage: scimd-ceiling [--listen HOST:PORT] [--threads N]\n", stderr);
}

template <typename Int>
std::optional<Int> ParseNumber(std::string_view text) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "HOST:PORT" into options; false when malformed.
bool ParseListen(std::string_view listen, Options& options) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto port = ParseNumber<uint16_t>(listen.substr(colon + 1));
  if (!port) return false;
  options.host = std::string(listen.substr(0, colon));
  options.port = *port;
  return true;
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) return std::nullopt;
    std::string_view value = argv[++i];
    if (flag == "--listen") {
      if (!ParseListen(value, options)) return std::nullopt;
    } else if (flag == "--threads") {
      auto threads = ParseNumber<int>(value);
      if (!threads || *threads < 1) return std::nullopt;
      options.threads = *threads;
    } else {
      return std::nullopt;
    }
  }
  return options;
}

scim::http::Response UserResponse() {
  scim::http::Response response;
  response.headers.emplace_back("Content-Type", "application/scim+json");
  response.headers.emplace_back("ETag", "W/\"1\"");
  response.body = std::string(kUserJson);
  return response;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = ParseArgs(argc, argv);
  if (!options) {
    PrintUsage();
    return 2;
  }
  scim::http::ServerOptions server_options;
  server_options.host = options->host;
  server_options.port = options->port;
  server_options.io_threads = options->threads;
  server_options.error_responder = [](int status, std::string_view detail) {
    scim::http::Response response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "text/plain");
    response.body = std::string(detail);
    return response;
  };
  // Built per request, as a server building its answer would; copying 1 KB is part of the cost.
  scim::http::Server server(server_options, [](scim::http::Request, scim::http::Responder respond) {
    respond(UserResponse());
  });
  if (std::string error = server.Listen(); !error.empty()) {
    std::fprintf(stderr, "scimd-ceiling: cannot listen: %s\n", error.c_str());
    return 1;
  }
  std::printf("scimd-ceiling listening on http://%s:%u (%d threads)\n", options->host.c_str(),
              static_cast<unsigned>(server.port()), options->threads);
  std::fflush(stdout);
  server.Run(/*handle_signals=*/true);
  return 0;
}
