// ember's version (include/ember/version.hpp, its one home): the macros agree with each other and with
// ember::version(), and a .ember file from a newer ember names both embers and both format versions.
#include "ember/version.hpp"  // first: the header stands alone

#include <gtest/gtest.h>

#include <string>

#include "ember/deploy/model.hpp"
#include "helpers.hpp"

using namespace ember;
using ember::testing::error_of;
using ember::testing::TempDir;

static_assert(EMBER_VERSION_MAJOR >= 0 && EMBER_VERSION_MINOR >= 0 && EMBER_VERSION_PATCH >= 0);
static_assert(EMBER_VERSION == EMBER_VERSION_MAJOR * 10000 + EMBER_VERSION_MINOR * 100 + EMBER_VERSION_PATCH);
static_assert(EMBER_VERSION >= 200, "the release this header was written for is 0.2.0");

namespace {


/// A one-value identity graph (y = x) with the given metadata besides "ember.format" and "ember.graph".
std::string write_identity(const std::string& path, std::map<std::string, std::string> metadata) {
  metadata["ember.format"] = "ember.deploy";
  metadata["ember.graph"] =
      R"({"inputs":["x"],"outputs":["x"],"values":{"x":{"dtype":"float32","shape":[{"batch":1,"add":0},3]}},)"
      R"("tensors":{},"nodes":[]})";
  io::save_safetensors(path, std::vector<std::pair<std::string, AnyTensor>>{}, metadata);
  return path;
}

}  // namespace

TEST(Version, StringIsMajorMinorPatch) {
  const std::string expected = std::to_string(EMBER_VERSION_MAJOR) + "." + std::to_string(EMBER_VERSION_MINOR) +
                               "." + std::to_string(EMBER_VERSION_PATCH);
  EXPECT_EQ(std::string(EMBER_VERSION_STRING), expected);
  EXPECT_EQ(std::string(ember::version()), expected);
  static_assert(ember::version()[0] != '\0');  // usable in constant expressions
}

TEST(Version, DeployFileFromANewerEmberNamesBothVersions) {
  TempDir dir;
  const std::string newer = std::to_string(deploy::kFormatVersion + 1);
  const auto path = write_identity(dir.file("newer.ember"), {{"ember.format_version", newer}, {"ember.version", "0.3.0"}});
  const auto msg = error_of<io::FormatError>([&] { deploy::load(path); });
  EXPECT_NE(msg.find("[deploy.load] " + path + ": written by ember 0.3.0 (format " + newer + "); this is ember " EMBER_VERSION_STRING
                     ", which reads formats up to " + std::to_string(deploy::kFormatVersion)),
            std::string::npos)
      << msg;
}

TEST(Version, DeployFileWithoutTheWriterVersionStillSaysNewer) {
  TempDir dir;
  const auto path = write_identity(dir.file("v9.ember"), {{"ember.format_version", "9"}});
  const auto msg = error_of<io::FormatError>([&] { deploy::load(path); });
  EXPECT_NE(msg.find("written by a newer ember (format 9); this is ember " EMBER_VERSION_STRING), std::string::npos)
      << msg;
}

TEST(Version, DeployFilesOfThisFormatLoadWithOrWithoutTheWriterVersion) {
  TempDir dir;
  // Files written before 0.2.0 have no "ember.version"; a file of a readable format loads whoever wrote it.
  for (const auto& writer : {std::string(), std::string("0.1.0"), std::string(EMBER_VERSION_STRING)}) {
    std::map<std::string, std::string> meta{{"ember.format_version", "1"}};
    if (!writer.empty()) meta["ember.version"] = writer;
    auto model = deploy::load(write_identity(dir.file("v1_" + writer + ".ember"), meta));
    auto x = ember::ones<float>({2, 3});
    auto y = model.forward(x);
    EXPECT_EQ(y.shape(), x.shape()) << writer;
  }
}
