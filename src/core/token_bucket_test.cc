#include "core/token_bucket.h"

#include <gtest/gtest.h>

namespace scim::core {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucketTest, BurstThenRate) {
  TokenBucket::Clock::time_point t0{};
  TokenBucket bucket(10, 3, t0);  // 10 a second, 3 at once
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(bucket.HasToken());
    bucket.Take();
  }
  EXPECT_FALSE(bucket.HasToken());
  EXPECT_DOUBLE_EQ(bucket.SecondsUntilToken(), 0.1);
  bucket.Refill(t0 + 50ms);
  EXPECT_FALSE(bucket.HasToken());
  EXPECT_NEAR(bucket.SecondsUntilToken(), 0.05, 1e-9);
  bucket.Refill(t0 + 100ms);
  EXPECT_TRUE(bucket.HasToken());
  bucket.Refill(t0 + 10s);  // never more than the burst
  EXPECT_TRUE(bucket.Full());
  for (int i = 0; i < 3; ++i) bucket.Take();
  EXPECT_FALSE(bucket.HasToken());
}

TEST(TokenBucketTest, TimeGoingBackwardsAddsNothing) {
  TokenBucket::Clock::time_point t0 = TokenBucket::Clock::time_point{} + 10s;
  TokenBucket bucket(1, 1, t0);
  bucket.Take();
  bucket.Refill(t0 - 5s);
  EXPECT_FALSE(bucket.HasToken());
  bucket.Refill(t0 + 1s);
  EXPECT_TRUE(bucket.HasToken());
}

TEST(TokenBucketTest, ResetKeepsTokensUpToTheNewBurst) {
  TokenBucket::Clock::time_point t0{};
  TokenBucket bucket(100, 200, t0);
  bucket.Reset(25, 50);
  EXPECT_TRUE(bucket.Full());
  EXPECT_DOUBLE_EQ(bucket.rate(), 25);
  for (int i = 0; i < 50; ++i) bucket.Take();
  EXPECT_FALSE(bucket.HasToken());
  EXPECT_DOUBLE_EQ(bucket.SecondsUntilToken(), 0.04);
}

}  // namespace
}  // namespace scim::core
