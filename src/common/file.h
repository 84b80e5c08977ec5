#pragma once
// Reading and memory-mapping files with errors that name the path.
#include <cstddef>
#include <filesystem>
#include <string>

namespace qwen3 {

// Whole file as bytes; throws qwen3::Error "cannot read PATH: reason".
std::string read_file(const std::filesystem::path& path);

// Read-only memory map of a whole file (weights are never copied into RAM
// needlessly: the page cache is the storage).
class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::filesystem::path path_;
};

// Drops the whole pages inside [p, p + n) of a read-only file mapping from
// this process's resident memory (the page cache keeps them; a later read
// maps them again): for data that was copied elsewhere, as weights repacked
// at load.
void release_pages(const void* p, std::size_t n);

// Zeroed anonymous memory for a large, long-lived array (weights made or
// copied at load), aligned to 2 MiB and advised to the kernel's transparent
// huge pages (madvise(MADV_HUGEPAGE); only the whole 2 MiB ranges inside it
// can be). Decode streams such arrays from DRAM, and the hardware
// prefetchers stop at every page boundary: with 4 KiB pages each stream
// restarts 16 times per 64 KiB. Where huge pages are off or none is free,
// the memory is simply in 4 KiB pages. Throws "cannot allocate N for WHAT".
class PageBuffer {
 public:
  PageBuffer() = default;
  PageBuffer(std::size_t bytes, const std::string& what);
  ~PageBuffer();
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;  // mapped: the bytes asked for, in whole 4 KiB pages
};

// Advises the whole 2 MiB ranges inside [p, p + n) of an anonymous mapping
// to transparent huge pages (see PageBuffer); advice only, never an error.
void advise_huge_pages(void* p, std::size_t n);

}  // namespace qwen3
