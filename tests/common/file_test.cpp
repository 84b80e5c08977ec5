#include "common/file.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "qwen3/error.h"

namespace fs = std::filesystem;

TEST(File, ReadAndMapAgree) {
  fs::path p = fs::temp_directory_path() / "qwen3_file_test.bin";
  { std::ofstream(p, std::ios::binary) << std::string("abc\0def", 7); }
  EXPECT_EQ(qwen3::read_file(p), std::string("abc\0def", 7));
  qwen3::MappedFile m(p);
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(static_cast<char>(m.data()[4]), 'd');
  fs::remove(p);
}

// Pages of a mapping that were read count in the process's resident memory
// until release_pages drops them (weights copied at load); the data is
// still readable afterwards (from the page cache).
long resident_pages() {
  long size = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> size >> resident;
  return resident;
}

TEST(File, ReleasedPagesLeaveTheResidentMemory) {
  fs::path p = fs::temp_directory_path() / "qwen3_release_test.bin";
  constexpr std::size_t kBytes = 32 << 20;
  {
    std::ofstream out(p, std::ios::binary);
    const std::vector<char> chunk(1 << 20, 'x');
    for (std::size_t i = 0; i < kBytes; i += chunk.size()) out.write(chunk.data(), chunk.size());
  }
  qwen3::MappedFile m(p);
  const long page = ::sysconf(_SC_PAGESIZE), pages = static_cast<long>(kBytes) / page;
  const long before = resident_pages();
  long sum = 0;
  for (std::size_t i = 0; i < kBytes; i += page) sum += static_cast<unsigned char>(m.data()[i]);
  EXPECT_EQ(sum, 'x' * pages);
  const long touched = resident_pages();
  EXPECT_GE(touched - before, pages * 9 / 10);
  qwen3::release_pages(m.data(), m.size());
  EXPECT_LE(resident_pages(), touched - pages * 9 / 10);
  EXPECT_EQ(static_cast<char>(m.data()[kBytes - 1]), 'x');
  fs::remove(p);
}

// The VmFlags line of /proc/self/smaps for the mapping that starts at p.
std::string vm_flags(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  char start[32];
  std::snprintf(start, sizeof start, "%lx-", static_cast<unsigned long>(reinterpret_cast<std::uintptr_t>(p)));
  bool in = false;
  for (std::string line; std::getline(smaps, line);) {
    if (line.rfind(start, 0) == 0) in = true;
    if (in && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

// Weights made at load live in a PageBuffer: zeroed, 2 MiB aligned, advised
// to huge pages (VmFlags "hg", whether or not the kernel then has one free),
// moved without a copy, and freed with it.
TEST(File, PageBufferIsAlignedZeroedAndAdvisedToHugePages) {
  constexpr std::size_t kBytes = (5 << 20) + 123;
  qwen3::PageBuffer b(kBytes, "a test buffer");
  ASSERT_NE(b.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % (2 << 20), 0u);
  EXPECT_GE(b.size(), kBytes);
  EXPECT_LT(b.size(), kBytes + 4096);
  EXPECT_EQ(b.data()[0], std::byte{0});
  EXPECT_EQ(b.data()[kBytes - 1], std::byte{0});
  b.data()[kBytes - 1] = std::byte{7};
  const std::string flags = vm_flags(b.data());
  ASSERT_FALSE(flags.empty()) << "no mapping at the buffer in /proc/self/smaps";
  if (fs::exists("/sys/kernel/mm/transparent_hugepage/enabled"))  // a kernel with transparent huge pages
    EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
  std::byte* const at = b.data();
  qwen3::PageBuffer moved(std::move(b));
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_EQ(moved.data(), at);
  EXPECT_EQ(moved.data()[kBytes - 1], std::byte{7});
  moved = qwen3::PageBuffer();
  EXPECT_EQ(vm_flags(at), "");  // unmapped
  EXPECT_EQ(qwen3::PageBuffer(0, "nothing").data(), nullptr);
}

TEST(File, PageBufferThatCannotBeMappedNamesWhatItWasFor) {
  try {
    qwen3::PageBuffer b(std::size_t{1} << 62, "the layer 3 weights");
    FAIL() << "expected an error";
  } catch (const qwen3::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot allocate"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("the layer 3 weights"), std::string::npos) << e.what();
  }
}

TEST(File, MissingFileErrorNamesThePath) {
  try {
    qwen3::read_file("/nonexistent/qwen3/tokenizer.json");
    FAIL() << "expected an error";
  } catch (const qwen3::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/qwen3/tokenizer.json"), std::string::npos);
  }
  EXPECT_THROW(qwen3::MappedFile("/nonexistent/x.safetensors"), qwen3::Error);
}

// The fuzzer's path: a shard name holding line breaks and 4,000 bytes, which
// the system refuses ("File name too long"). The message quotes the path, on
// one line (qwen3::Error escapes whatever a message quotes).
TEST(File, ErrorQuotingAPathWithLineBreaksIsOneLine) {
  const std::string name = "/nonexistent/mo\ndel\n" + std::string(4000, '+') + "\x01\xFF.safetensors";
  for (int map = 0; map < 2; ++map) {
    try {
      if (map)
        qwen3::MappedFile{name};
      else
        qwen3::read_file(name);
      FAIL() << "expected an error";
    } catch (const qwen3::Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_NE(what.find("/nonexistent/mo\\ndel\\n+++"), std::string::npos) << what;
      EXPECT_NE(what.find("\\x01\\xFF.safetensors"), std::string::npos) << what;
    }
  }
}

TEST(Error, MessageIsOneLineWhateverItQuotes) {
  EXPECT_STREQ(qwen3::Error("a\nb\r\tc \xC3\xA9 \xFF").what(), "a\\nb\\r\\tc \xC3\xA9 \\xFF");
  // Escaping twice changes nothing (messages built from escaped names).
  const qwen3::Error once("x\ny");
  EXPECT_STREQ(qwen3::Error(std::string(once.what())).what(), once.what());
}

// A device never ends (/dev/zero would fill the memory) and a pipe without a
// writer would wait forever: only regular files are read or mapped.
TEST(File, OnlyRegularFilesAreReadOrMapped) {
  const fs::path fifo = fs::temp_directory_path() / ("qwen3_file_test_fifo_" + std::to_string(::getpid()));
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::vector<std::pair<fs::path, std::string>> cases = {
      {"/dev/zero", "a device"}, {fs::temp_directory_path(), "a folder"}, {fifo, "a pipe"}};
  for (const auto& [path, what] : cases) {
    for (int map = 0; map < 2; ++map) {
      try {
        if (map)
          qwen3::MappedFile m(path);
        else
          qwen3::read_file(path);
        ADD_FAILURE() << path << " was read";
      } catch (const qwen3::Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find(path.string()), std::string::npos) << m;
        EXPECT_NE(m.find(what), std::string::npos) << m;
      }
    }
  }
  fs::remove(fifo);
}
