#include "common/sha256.h"

#include <gtest/gtest.h>

// FIPS 180-2's test vectors.
TEST(Sha256, KnownDigests) {
  EXPECT_EQ(qwen3::sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(qwen3::sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Pieces give the digest of the whole, and hex() starts again.
TEST(Sha256, PiecesGiveTheDigestOfTheWhole) {
  qwen3::Sha256 h;
  h.update("a", 1);
  h.update("", 0);
  h.update("bc", 2);
  EXPECT_EQ(h.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(h.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
