// Replays fuzz inputs without libFuzzer: runs the target's
// LLVMFuzzerTestOneInput over every file under the directories (or files)
// given on the command line, in sorted order. Built into one
// <target>_fuzz_replay binary per target in the normal builds (Release and
// the sanitizer build), where ctest runs it over the target's seed corpus
// and its regressions (fuzz/CMakeLists.txt). A failed property aborts.
//
// Exit status 1 when an argument does not exist or no input at all was
// found (a replay that runs nothing must not pass). Files whose name starts
// with '.' (e.g. .gitkeep) are skipped.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool Collect(const fs::path& arg, std::vector<fs::path>* files) {
  std::error_code ec;
  if (fs::is_regular_file(arg, ec)) {
    files->push_back(arg);
    return true;
  }
  if (!fs::is_directory(arg, ec)) {
    std::fprintf(stderr, "replay: %s does not exist\n", arg.c_str());
    return false;
  }
  for (const auto& e : fs::recursive_directory_iterator(arg)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') {
      files->push_back(e.path());
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    if (!Collect(argv[i], &files)) return 1;
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "replay: no inputs found\n");
    return 1;
  }
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", f.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                           bytes.size());
  }
  std::printf("replay: %zu inputs, no failure\n", files.size());
  return 0;
}
