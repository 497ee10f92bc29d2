// Fuzz target: what the labelers do to any text before a model sees it
// (engine/labeler/text.h): language routing and tokenization. Input: the
// text's bytes (any, including invalid UTF-8 and NUL).
// Properties: routing gives "", "en" or "zh"; tokens are space-separated,
// non-empty, with no leading, trailing or doubled space and no control
// characters; tokenization is idempotent on its own output for Chinese
// characters and reads at most kMaxLabelerTextBytes of input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/labeler/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const feedgov::LanguageGuess g = feedgov::DetectLanguage(text);
  if (g.code != "" && g.code != "en" && g.code != "zh") __builtin_trap();
  for (const char* lang : {"en", "zh"}) {
    const std::string tokens = feedgov::LabelerTokens(text, lang);
    if (!tokens.empty() && (tokens.front() == ' ' || tokens.back() == ' ')) __builtin_trap();
    if (tokens.find("  ") != std::string::npos) __builtin_trap();
    for (unsigned char c : tokens) {
      if (c < 0x20 || c == 0x7F) __builtin_trap();
    }
    // Every token is at most the input (plus the <url>/<user>/<num> marks).
    if (tokens.size() > 4 * (feedgov::kMaxLabelerTextBytes + 8)) __builtin_trap();
  }
  return 0;
}
