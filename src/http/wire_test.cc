// Tests of the HTTP wire-format helpers: target splitting, percent-decoding, response heads, dates.
#include "http/wire.h"

#include <gtest/gtest.h>

namespace scim::http::wire {
namespace {

TEST(WireTest, SplitTarget) {
  struct Case {
    std::string_view target;
    bool ok;
    std::string_view path;
    std::string_view query;
  };
  const Case cases[] = {
      {"/", true, "/", ""},
      {"/Users", true, "/Users", ""},
      {"/Users?filter=userName%20eq%20%22a%22", true, "/Users", "filter=userName%20eq%20%22a%22"},
      {"/a%20b/%E2%82%AC", true, "/a b/\xE2\x82\xAC", ""},
      {"/a+b", true, "/a+b", ""},
      {"/a%2Fb", true, "/a/b", ""},
      {"/x?", true, "/x", ""},
      {"/x?a?b", true, "/x", "a?b"},
      {"*", true, "*", ""},
      {"http://example.com/Users?x=1", true, "/Users", "x=1"},
      {"HTTPS://example.com", true, "/", ""},
      {"http://example.com?x", true, "/", "x"},
      {"/bad%zz", false, "", ""},
      {"/bad%4", false, "", ""},
      {"/bad%", false, "", ""},
      {"/nul%00", false, "", ""},
      {std::string_view("/raw\0nul", 8), false, "", ""},  // a raw NUL, as fuzz_http_wire found
      {"Users", false, "", ""},
      {"", false, "", ""},
      {"ftp://example.com/x", false, "", ""},
      {"http:///x", false, "", ""},
      {"http://", false, "", ""},
  };
  for (const Case& c : cases) {
    std::string path, query;
    EXPECT_EQ(SplitTarget(c.target, &path, &query), c.ok) << c.target;
    if (!c.ok) continue;
    EXPECT_EQ(path, c.path) << c.target;
    EXPECT_EQ(query, c.query) << c.target;
  }
}

TEST(WireTest, IEquals) {
  EXPECT_TRUE(IEquals("Content-Length", "content-length"));
  EXPECT_TRUE(IEquals("", ""));
  EXPECT_FALSE(IEquals("Host", "Hosts"));
  EXPECT_FALSE(IEquals("a", "b"));
}

TEST(WireTest, FormatHttpDate) {
  char buf[kHttpDateSize];
  EXPECT_EQ(FormatHttpDate(784111777, buf), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(0, buf), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(WireTest, ResponseHeadDropsFramingAndUnsafeHeaders) {
  Headers headers = {{"Content-Type", "application/scim+json"},
                     {"content-length", "999"},
                     {"Connection", "keep-alive"},
                     {"Transfer-Encoding", "chunked"},
                     {"X-Evil", "a\r\nSet-Cookie: x=1"},
                     {"Bad Name", "x"},
                     {"ETag", "W/\"1\""}};
  ResponseHead head;
  head.status = 201;
  head.reason = "Created";
  head.headers = &headers;
  head.content_length = 12;
  head.connection = ConnectionHeader::kClose;
  head.date = "Sun, 06 Nov 1994 08:49:37 GMT";
  std::string out;
  AppendResponseHead(head, &out);
  EXPECT_EQ(out,
            "HTTP/1.1 201 Created\r\n"
            "Content-Type: application/scim+json\r\n"
            "ETag: W/\"1\"\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Length: 12\r\n"
            "Connection: close\r\n"
            "\r\n");
}

TEST(WireTest, ResponseHeadWithoutBody) {
  ResponseHead head;
  head.status = 204;
  head.reason = "No Content";
  head.content_length = 5;  // ignored: 204 has no content
  head.connection = ConnectionHeader::kKeepAlive;
  std::string out;
  AppendResponseHead(head, &out);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_TRUE(StatusHasNoBody(304));
  EXPECT_TRUE(StatusHasNoBody(100));
  EXPECT_FALSE(StatusHasNoBody(200));
}

TEST(WireTest, HeadersRequestClose) {
  EXPECT_TRUE(HeadersRequestClose({{"connection", "Close"}}));
  EXPECT_FALSE(HeadersRequestClose({{"Connection", "keep-alive"}}));
  EXPECT_FALSE(HeadersRequestClose({}));
}

}  // namespace
}  // namespace scim::http::wire
