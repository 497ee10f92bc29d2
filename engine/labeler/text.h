// File: engine/labeler/text.h
//
// Text as the labelers see it: which language a text is in (routing) and
// the token sequence a fastText model reads.
//
// Language routing: a text with Han characters and no kana or hangul, where
// Han makes up at least 30% of its letters, is Chinese ("zh"); otherwise
// CLD2 (Debian libcld2, the detector of Chromium) decides, and only a
// reliable ENGLISH verdict, or a text of ASCII letters CLD2 cannot place, is
// English ("en"). Everything else is "" (no labeler covers it: the item
// stays unlabeled and the pack's rule for unlabeled items in key slots
// applies). Thread-safe: pure functions.
#ifndef FEEDGOV_ENGINE_LABELER_TEXT_H_
#define FEEDGOV_ENGINE_LABELER_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace feedgov {

// Longest text a labeler reads, in bytes; longer texts are cut at a UTF-8
// character boundary below it (a headline or a post fits many times over).
inline constexpr size_t kMaxLabelerTextBytes = 16 * 1024;

struct LanguageGuess {
  std::string code;      // "en", "zh" or "" (not covered).
  std::string detected;  // What was detected, e.g. "fr", "ja", "un".
};

// Routes `text` (UTF-8; invalid bytes count as non-letters).
LanguageGuess DetectLanguage(absl::string_view text);

// fastText input for `text` in `language` ("en" or "zh"): one line of
// space-separated tokens, no newline.
//  en: HTML entities &amp; &lt; &gt; &quot; &#39; decoded, lower-cased
//      (ASCII), URLs -> "<url>", @mentions -> "<user>", digits runs ->
//      "<num>"; punctuation characters are tokens of their own.
//  zh: every CJK character or full-width punctuation mark is a token; runs
//      of other non-space characters (Latin words, numbers) are one token,
//      lower-cased. Character n-grams come from fastText's word n-grams.
// Other languages are tokenized as en. At most kMaxLabelerTextBytes of
// `text` are read. No token starts with "__label__" (fastText's label
// prefix): such a token loses its first underscore.
std::string LabelerTokens(absl::string_view text, absl::string_view language);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_LABELER_TEXT_H_
