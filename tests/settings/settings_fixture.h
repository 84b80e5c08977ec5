#pragma once
// A temporary folder per test, for config files and model folders.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "qwen3/error.h"
#include "qwen3/settings.h"

namespace qwen3::test {

class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("qwen3_settings_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Sources with only what the test gives: HOME points into the temp folder,
  // so no real user config (or Hugging Face cache) is read, and the hub is
  // off: a hub name is looked up in that empty cache, never on the network.
  SettingsSources sources() const {
    SettingsSources s;
    s.environment["HOME"] = (dir_ / "home").string();
    s.environment["HF_HUB_OFFLINE"] = "1";
    return s;
  }

  // The sources with `text` as an explicit --config file.
  SettingsSources with_config(const std::string& text) {
    auto s = sources();
    s.config_file = write("config.toml", text);
    return s;
  }

  std::string error_of(const SettingsSources& s) {
    try {
      resolve(s);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  std::string config_path() const { return (dir_ / "config.toml").string(); }

  std::filesystem::path dir_;
};

}  // namespace qwen3::test
