#include "engine/labeler/text.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "cld2/public/compact_lang_det.h"
#include "cld2/public/encodings.h"

namespace feedgov {
namespace {

// Decodes one UTF-8 code point at text[*i] and advances *i; invalid bytes
// yield U+FFFD and advance by one.
char32_t NextCodePoint(absl::string_view text, size_t* i) {
  const auto b0 = static_cast<unsigned char>(text[*i]);
  auto cont = [&](size_t k) -> int {
    if (*i + k >= text.size()) return -1;
    const auto b = static_cast<unsigned char>(text[*i + k]);
    return (b & 0xC0) == 0x80 ? (b & 0x3F) : -1;
  };
  if (b0 < 0x80) { ++*i; return b0; }
  int n = (b0 & 0xE0) == 0xC0 ? 1 : (b0 & 0xF0) == 0xE0 ? 2 : (b0 & 0xF8) == 0xF0 ? 3 : 0;
  if (n == 0) { ++*i; return 0xFFFD; }
  char32_t cp = b0 & (0x3F >> n);
  for (int k = 1; k <= n; ++k) {
    int c = cont(k);
    if (c < 0) { ++*i; return 0xFFFD; }
    cp = (cp << 6) | static_cast<char32_t>(c);
  }
  *i += n + 1;
  return cp;
}

bool IsHan(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0xF900 && c <= 0xFAFF);
}
bool IsKana(char32_t c) { return c >= 0x3040 && c <= 0x30FF; }
bool IsHangul(char32_t c) {
  return (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF);
}
// CJK punctuation and full-width forms: one token each in Chinese text.
bool IsCjkPunct(char32_t c) {
  return (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF) ||
         c == 0x2014 || c == 0x2026 || (c >= 0x2018 && c <= 0x201F);
}
// Whitespace, and control characters (C0, DEL, C1), which separate tokens
// and never become part of one.
bool IsSpace(char32_t c) {
  return c < 0x20 || c == ' ' || (c >= 0x7F && c <= 0x9F) || c == 0xA0 || c == 0x3000 ||
         c == 0x200B;
}

// `text` cut to at most kMaxLabelerTextBytes at a character boundary.
absl::string_view Clip(absl::string_view text) {
  if (text.size() <= kMaxLabelerTextBytes) return text;
  size_t end = kMaxLabelerTextBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Token list builder: Flush() ends the current word.
class Tokens {
 public:
  void Add(char32_t c) { AppendUtf8(c, &word_); }
  void Flush() {
    if (word_.empty()) return;
    Emit(word_);
    word_.clear();
  }
  void Emit(absl::string_view token) {
    if (!out_.empty()) out_.push_back(' ');
    out_.append(token.data(), token.size());
  }
  std::string Take() {
    Flush();
    return std::move(out_);
  }

 private:
  std::string word_;
  std::string out_;
};

// "&amp;" etc. at text[i]: the decoded character and the entity length.
bool DecodeEntity(absl::string_view rest, char* c, size_t* len) {
  static constexpr struct { const char* e; char c; } kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'},
      {"&#39;", '\''}, {"&#039;", '\''}, {"&apos;", '\''}};
  for (const auto& e : kEntities) {
    if (absl::StartsWithIgnoreCase(rest, e.e)) {
      *c = e.c;
      *len = std::char_traits<char>::length(e.e);
      return true;
    }
  }
  return false;
}

// The whitespace-free run starting at text[i].
absl::string_view RunAt(absl::string_view text, size_t i) {
  size_t j = i;
  while (j < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[j]))) ++j;
  return text.substr(i, j - i);
}

std::string EnglishTokens(absl::string_view text) {
  // Entities first, so "&amp;" is one '&'.
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char c;
    size_t len;
    if (text[i] == '&' && DecodeEntity(text.substr(i), &c, &len)) {
      decoded.push_back(c);
      i += len;
    } else {
      decoded.push_back(text[i++]);
    }
  }
  absl::string_view t = decoded;
  Tokens tokens;
  for (size_t i = 0; i < t.size();) {
    if (i == 0 || absl::ascii_isspace(static_cast<unsigned char>(t[i - 1]))) {
      absl::string_view run = RunAt(t, i);
      if (absl::StartsWithIgnoreCase(run, "http://") ||
          absl::StartsWithIgnoreCase(run, "https://") ||
          absl::StartsWithIgnoreCase(run, "www.")) {
        tokens.Flush();
        tokens.Emit("<url>");
        i += run.size();
        continue;
      }
    }
    if (t[i] == '@' && i + 1 < t.size() &&
        (absl::ascii_isalnum(static_cast<unsigned char>(t[i + 1])) || t[i + 1] == '_')) {
      tokens.Flush();
      ++i;
      while (i < t.size() && (absl::ascii_isalnum(static_cast<unsigned char>(t[i])) || t[i] == '_')) ++i;
      tokens.Emit("<user>");
      continue;
    }
    const char32_t c = NextCodePoint(t, &i);
    if (IsSpace(c)) {
      tokens.Flush();
    } else if (c < 0x80 && absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      // A digit run inside a word stays in the word ("mp3"); alone it is <num>.
      tokens.Add(c);
    } else if (c < 0x80 && (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '\'' || c == '_')) {
      tokens.Add(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (c >= 0x80 && !IsCjkPunct(c) && c != 0xFFFD && !(c >= 0x2000 && c <= 0x206F)) {
      tokens.Add(c);  // Letters of other scripts, emoji.
    } else {
      tokens.Flush();
      if (c != 0xFFFD) {
        std::string p;
        AppendUtf8(c, &p);
        tokens.Emit(p);
      }
    }
  }
  // Replace pure-digit tokens by <num>.
  std::string joined = tokens.Take();
  std::string out;
  out.reserve(joined.size());
  for (size_t i = 0; i < joined.size();) {
    size_t j = joined.find(' ', i);
    if (j == std::string::npos) j = joined.size();
    absl::string_view tok(joined.data() + i, j - i);
    bool digits = !tok.empty();
    for (char ch : tok) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(ch));
    if (!out.empty()) out.push_back(' ');
    if (digits) {
      out += "<num>";
    } else {
      out.append(tok.data(), tok.size());
    }
    i = j + 1;
  }
  return out;
}

bool IsMentionEnd(char32_t c) {
  return IsSpace(c) || IsCjkPunct(c) || c == ':' || c == ',' || c == '.' || c == '!' ||
         c == '?' || c == '(' || c == ')' || c == '[' || c == ']' || c == '@' ||
         c == 0x3010 || c == 0x3011;
}

std::string ChineseTokens(absl::string_view text) {
  Tokens tokens;
  std::string word;
  auto end_word = [&] {
    if (word.empty()) return;
    bool all_digits = true;
    for (char ch : word) all_digits = all_digits && absl::ascii_isdigit(static_cast<unsigned char>(ch));
    tokens.Emit(all_digits ? absl::string_view("<num>") : absl::string_view(word));
    word.clear();
  };
  for (size_t i = 0; i < text.size();) {
    // A URL or an @mention is one token wherever it starts.
    if (absl::StartsWithIgnoreCase(text.substr(i), "http://") ||
        absl::StartsWithIgnoreCase(text.substr(i), "https://")) {
      end_word();
      while (i < text.size() && static_cast<unsigned char>(text[i]) > 0x20 &&
             static_cast<unsigned char>(text[i]) < 0x7F) {
        ++i;
      }
      tokens.Emit("<url>");
      continue;
    }
    if (text[i] == '@') {
      end_word();
      size_t j = i + 1;
      size_t k = j;
      while (k < text.size()) {
        size_t next = k;
        if (IsMentionEnd(NextCodePoint(text, &next))) break;
        k = next;
      }
      if (k > j) {
        tokens.Emit("<user>");
        i = k;
        continue;
      }
    }
    const char32_t c = NextCodePoint(text, &i);
    if (IsSpace(c) || c == 0xFFFD) {
      end_word();
    } else if (IsHan(c) || IsCjkPunct(c) || IsKana(c) || IsHangul(c)) {
      end_word();
      std::string one;
      AppendUtf8(c, &one);
      tokens.Emit(one);
    } else {
      const bool digit = c < 0x80 && absl::ascii_isdigit(static_cast<unsigned char>(c));
      if (!word.empty() && digit != absl::ascii_isdigit(static_cast<unsigned char>(word.back()))) {
        end_word();  // "9月" and "abc123": digit runs split from letters.
      }
      AppendUtf8(c < 0x80 ? absl::ascii_tolower(static_cast<unsigned char>(c)) : c, &word);
    }
  }
  end_word();
  return tokens.Take();
}

}  // namespace

LanguageGuess DetectLanguage(absl::string_view text) {
  text = Clip(text);
  int64_t han = 0, kana = 0, hangul = 0, letters = 0, ascii_letters = 0;
  for (size_t i = 0; i < text.size();) {
    const char32_t c = NextCodePoint(text, &i);
    if (IsHan(c)) {
      ++han;
      ++letters;
    } else if (IsKana(c)) {
      ++kana;
      ++letters;
    } else if (IsHangul(c)) {
      ++hangul;
      ++letters;
    } else if (c < 0x80 && absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      ++ascii_letters;
      ++letters;
    } else if (c >= 0xC0 && !IsCjkPunct(c) && !IsSpace(c) && c != 0xFFFD &&
               !(c >= 0x2000 && c <= 0x2BFF) && !(c >= 0x1F000)) {
      ++letters;  // Other scripts' letters (approximately).
    }
  }
  if (letters == 0) return {"", "un"};
  if (kana > 0) return {"", "ja"};
  if (hangul > 0) return {"", "ko"};
  if (han > 0 && han * 10 >= letters * 3) return {"zh", "zh"};
  bool reliable = false;
  int text_bytes = 0;
  int valid_prefix = 0;
  CLD2::Language langs[3] = {CLD2::UNKNOWN_LANGUAGE, CLD2::UNKNOWN_LANGUAGE,
                             CLD2::UNKNOWN_LANGUAGE};
  int percents[3] = {0, 0, 0};
  double scores[3] = {0, 0, 0};
  const CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING,
                                CLD2::UNKNOWN_LANGUAGE};
  // The checking variant: invalid UTF-8 gives UNKNOWN instead of undefined
  // behaviour.
  const CLD2::Language lang = CLD2::ExtDetectLanguageSummaryCheckUTF8(
      text.data(), static_cast<int>(text.size()), /*is_plain_text=*/true,
      &hints, /*flags=*/0, langs, percents, scores, nullptr, &text_bytes,
      &reliable, &valid_prefix);
  const std::string code = CLD2::LanguageCode(lang);
  if (lang == CLD2::ENGLISH) return {"en", code};
  // Short or informal English (a headline, a tweet) that CLD2 cannot place.
  if (lang == CLD2::UNKNOWN_LANGUAGE && ascii_letters == letters) {
    return {"en", code};
  }
  // CLD2 unsure and English among its candidates with ASCII-only letters.
  if (!reliable && ascii_letters == letters &&
      (langs[0] == CLD2::ENGLISH || langs[1] == CLD2::ENGLISH)) {
    return {"en", code};
  }
  return {"", code};
}

namespace {

// fastText reads every token that starts with "__label__" as a label, not a
// word: in a training line it adds a label (one the config does not have
// breaks the model), at prediction it is dropped. Such a token loses its
// first underscore and stays a word.
void NeutralizeLabelTokens(std::string* tokens) {
  static constexpr char kPrefix[] = "__label__";
  for (size_t at = tokens->find(kPrefix); at != std::string::npos;
       at = tokens->find(kPrefix, at + 1)) {
    if (at == 0 || (*tokens)[at - 1] == ' ') tokens->erase(at, 1);
  }
}

}  // namespace

std::string LabelerTokens(absl::string_view text, absl::string_view language) {
  text = Clip(text);
  std::string tokens = language == "zh" ? ChineseTokens(text) : EnglishTokens(text);
  NeutralizeLabelTokens(&tokens);
  return tokens;
}

}  // namespace feedgov
