#include "engine/labeler/labeler.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/governance/text_proto.h"
#include "engine/labeler/text.h"
#include "fasttext/fasttext.h"
#include "google/protobuf/text_format.h"

namespace feedgov {

TextLabeler::~TextLabeler() = default;

namespace {

namespace fs = std::filesystem;

// fastText 0.9.2's model file, as FastText::saveModel writes it and
// loadModel reads it without any check of its own: a file cut short makes
// Dictionary::load loop forever on end of file, a bucket count of 0 divides
// by zero when word n-grams are hashed, a matrix shape is allocated
// whatever it says, and NaN weights give NaN probabilities. So the whole
// layout is walked here first, with reads bounded by the file's size.
constexpr int32_t kFastTextMagic = 793712314;
constexpr int32_t kFastTextVersion = 12;
constexpr int32_t kMaxVocabulary = 30'000'000;  // fasttext::Dictionary::MAX_VOCAB_SIZE
constexpr int32_t kMaxDim = 4096;
constexpr int32_t kMaxBucket = 100'000'000;

class ModelFileReader {
 public:
  ModelFileReader(const std::string& path, int64_t size)
      : path_(path), in_(path, std::ios::binary), left_(size) {}
  bool ok() const { return static_cast<bool>(in_); }
  int64_t left() const { return left_; }

  template <typename T>
  absl::Status Read(T* v, absl::string_view what) {
    return Bytes(reinterpret_cast<char*>(v), sizeof(T), what);
  }
  absl::Status Bytes(char* p, int64_t n, absl::string_view what) {
    if (n > left_ || !in_.read(p, n)) return Short(what);
    left_ -= n;
    return absl::OkStatus();
  }
  // A '\0'-terminated dictionary word.
  absl::Status Word(std::string* word, absl::string_view what) {
    word->clear();
    while (true) {
      char c;
      FEEDGOV_RETURN_IF_ERROR(Read(&c, what));
      if (c == '\0') return absl::OkStatus();
      word->push_back(c);
    }
  }
  // A DenseMatrix of `rows` x `cols` finite floats.
  absl::Status Matrix(absl::string_view what, int64_t rows, int64_t cols) {
    int64_t m = 0, n = 0;
    FEEDGOV_RETURN_IF_ERROR(Read(&m, what));
    FEEDGOV_RETURN_IF_ERROR(Read(&n, what));
    if (m != rows || n != cols) {
      return Error(absl::StrCat(what, " is ", m, " x ", n, "; the header says ", rows, " x ",
                                cols));
    }
    if (rows * cols > left_ / static_cast<int64_t>(sizeof(float))) return Short(what);
    std::vector<float> chunk(1 << 16);
    for (int64_t done = 0, total = rows * cols; done < total;) {
      const int64_t k = std::min<int64_t>(chunk.size(), total - done);
      FEEDGOV_RETURN_IF_ERROR(Bytes(reinterpret_cast<char*>(chunk.data()),
                                    k * static_cast<int64_t>(sizeof(float)), what));
      for (int64_t i = 0; i < k; ++i) {
        if (!std::isfinite(chunk[i])) {
          return Error(absl::StrCat(what, ": weight ", done + i, " (row ", (done + i) / cols,
                                    ") is not finite"));
        }
      }
      done += k;
    }
    return absl::OkStatus();
  }
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": not a usable fastText model: ", what));
  }

 private:
  absl::Status Short(absl::string_view what) const {
    return Error(absl::StrCat("the file ends inside ", what, " (truncated?)"));
  }

  const std::string& path_;
  std::ifstream in_;
  int64_t left_;
};

// OK when `path` holds a complete, dense, softmax-supervised fastText model
// (what TrainLabeler writes) whose shapes agree and whose weights are
// finite. Else INVALID_ARGUMENT naming the file and what is wrong.
absl::Status CheckModelFile(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", ec.message()));
  ModelFileReader r(path, static_cast<int64_t>(size));
  if (!r.ok()) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  int32_t magic = 0, version = 0;
  FEEDGOV_RETURN_IF_ERROR(r.Read(&magic, "the header"));
  FEEDGOV_RETURN_IF_ERROR(r.Read(&version, "the header"));
  if (magic != kFastTextMagic || version != kFastTextVersion) {
    return r.Error(absl::StrCat("header ", magic, " ", version, "; expected ", kFastTextMagic,
                                " ", kFastTextVersion));
  }
  // fasttext::Args::save: 12 int32 then a double.
  int32_t a[12];
  for (int32_t& v : a) FEEDGOV_RETURN_IF_ERROR(r.Read(&v, "the arguments"));
  double sampling = 0;
  FEEDGOV_RETURN_IF_ERROR(r.Read(&sampling, "the arguments"));
  const int32_t dim = a[0], word_ngrams = a[5], loss = a[6], model = a[7], bucket = a[8],
                minn = a[9], maxn = a[10];
  if (dim < 1 || dim > kMaxDim) {
    return r.Error(absl::StrCat("dim ", dim, "; expected [1, ", kMaxDim, "]"));
  }
  if (loss != static_cast<int32_t>(fasttext::loss_name::softmax) ||
      model != static_cast<int32_t>(fasttext::model_name::sup)) {
    return r.Error(absl::StrCat("loss ", loss, ", model ", model,
                                "; expected a softmax supervised classifier"));
  }
  if (word_ngrams < 1 || word_ngrams > 100 || minn < 0 || maxn < 0 || maxn > 100 ||
      (maxn > 0 && minn > maxn)) {
    return r.Error(absl::StrCat("word n-grams ", word_ngrams, ", character n-grams [", minn,
                                ", ", maxn, "] out of range"));
  }
  if (bucket < 0 || bucket > kMaxBucket || (bucket == 0 && (word_ngrams > 1 || maxn > 0))) {
    return r.Error(absl::StrCat("bucket ", bucket, " with word n-grams ", word_ngrams,
                                " and character n-grams up to ", maxn,
                                "; expected [1, ", kMaxBucket, "]"));
  }
  // fasttext::Dictionary::save.
  int32_t entries = 0, nwords = 0, nlabels = 0;
  int64_t ntokens = 0, prune_size = 0;
  FEEDGOV_RETURN_IF_ERROR(r.Read(&entries, "the dictionary"));
  FEEDGOV_RETURN_IF_ERROR(r.Read(&nwords, "the dictionary"));
  FEEDGOV_RETURN_IF_ERROR(r.Read(&nlabels, "the dictionary"));
  FEEDGOV_RETURN_IF_ERROR(r.Read(&ntokens, "the dictionary"));
  FEEDGOV_RETURN_IF_ERROR(r.Read(&prune_size, "the dictionary"));
  if (nwords < 0 || nlabels < 1 || entries > kMaxVocabulary ||
      static_cast<int64_t>(nwords) + nlabels != entries) {
    return r.Error(absl::StrCat("dictionary of ", entries, " entries, ", nwords, " words and ",
                                nlabels, " labels"));
  }
  if (prune_size >= 0) return r.Error("a pruned (quantized) dictionary");
  std::string word;
  for (int32_t i = 0; i < entries; ++i) {
    const std::string what = absl::StrCat("dictionary entry ", i, " of ", entries);
    FEEDGOV_RETURN_IF_ERROR(r.Word(&word, what));
    int64_t count = 0;
    int8_t type = 0;
    FEEDGOV_RETURN_IF_ERROR(r.Read(&count, what));
    FEEDGOV_RETURN_IF_ERROR(r.Read(&type, what));
    // Words first, then labels (fastText's Dictionary::getLabel relies on it).
    if (type != (i < nwords ? 0 : 1)) {
      return r.Error(absl::StrCat(what, " ('", absl::CHexEscape(word), "') has type ",
                                  static_cast<int>(type), "; expected ", i < nwords ? 0 : 1));
    }
  }
  uint8_t quantized = 0;
  FEEDGOV_RETURN_IF_ERROR(r.Read(&quantized, "the input matrix"));
  if (quantized) return r.Error("a quantized input matrix");
  FEEDGOV_RETURN_IF_ERROR(
      r.Matrix("the input matrix", static_cast<int64_t>(nwords) + bucket, dim));
  FEEDGOV_RETURN_IF_ERROR(r.Read(&quantized, "the output matrix"));
  if (quantized) return r.Error("a quantized output matrix");
  FEEDGOV_RETURN_IF_ERROR(r.Matrix("the output matrix", nlabels, dim));
  if (r.left() != 0) return r.Error(absl::StrCat(r.left(), " bytes after the model"));
  return absl::OkStatus();
}

absl::Status Invalid(const std::string& name, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("labeler ", name, ": ", what));
}

}  // namespace

bool IsLabelerVersionName(absl::string_view version) {
  if (version.empty() || version.size() > 64 || version[0] == '.') return false;
  for (char c : version) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' &&
        c != '.') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::unique_ptr<const TextLabeler>> TextLabeler::Load(const std::string& dir) {
  const std::string manifest_path = (fs::path(dir) / "labeler.textproto").string();
  const std::string model_path = (fs::path(dir) / "model.bin").string();
  std::unique_ptr<TextLabeler> l(new TextLabeler());
  governance_internal::ParseInfoTree tree;
  FEEDGOV_RETURN_IF_ERROR(
      governance_internal::ParseTextProtoFile(manifest_path, &l->manifest_, &tree));
  if (!fs::exists(model_path)) {
    return absl::NotFoundError(absl::StrCat("cannot open ", model_path));
  }
  FEEDGOV_RETURN_IF_ERROR(CheckModelFile(model_path));
  auto model = std::make_shared<fasttext::FastText>();
  try {
    model->loadModel(model_path);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(model_path, ": not a fastText model: ", e.what()));
  }
  l->model_ = std::move(model);
  absl::Status bound = l->Bind();
  if (!bound.ok()) {
    return absl::Status(bound.code(), absl::StrCat(manifest_path, ": ", bound.message()));
  }
  return std::unique_ptr<const TextLabeler>(std::move(l));
}

absl::StatusOr<std::unique_ptr<const TextLabeler>> TextLabeler::FromModel(
    std::shared_ptr<const fasttext::FastText> model, feedgov::v1::LabelerManifest manifest) {
  std::unique_ptr<TextLabeler> l(new TextLabeler());
  l->model_ = std::move(model);
  l->manifest_ = std::move(manifest);
  FEEDGOV_RETURN_IF_ERROR(l->Bind());
  return std::unique_ptr<const TextLabeler>(std::move(l));
}

absl::Status TextLabeler::Bind() {
  const std::string& n = name();
  if (n.empty() || n.size() > 64 ||
      n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    return Invalid(absl::CHexEscape(n), "name must be 1-64 of [a-z0-9_]");
  }
  if (!IsLabelerVersionName(version())) {
    return Invalid(n, absl::StrCat("version '", absl::CHexEscape(version()),
                                   "' must be 1-64 of [A-Za-z0-9_.-], not starting with '.'"));
  }
  if (language() != "en" && language() != "zh") {
    return Invalid(n, absl::StrCat("language '", absl::CHexEscape(language()),
                                   "'; expected en or zh"));
  }
  const int nc = manifest_.class__size();
  if (nc < 2) return Invalid(n, "fewer than 2 classes");
  if (manifest_.platt_size() != nc || manifest_.decision_weight_size() != nc) {
    return Invalid(n, absl::StrCat(nc, " classes but ", manifest_.platt_size(),
                                   " Platt fits and ", manifest_.decision_weight_size(),
                                   " decision weights"));
  }
  for (int c = 0; c < nc; ++c) {
    const auto& p = manifest_.platt(c);
    if (!std::isfinite(p.a()) || !std::isfinite(p.b())) {
      return Invalid(n, absl::StrCat("platt[", c, "] is a=", p.a(), " b=", p.b(),
                                     "; expected finite numbers"));
    }
    const double w = manifest_.decision_weight(c);
    if (!(std::isfinite(w) && w > 0)) {
      return Invalid(n, absl::StrCat("decision_weight[", c, "] is ", w,
                                     "; expected a finite number > 0"));
    }
    for (int d = 0; d < c; ++d) {
      const auto& x = manifest_.class_(c);
      const auto& y = manifest_.class_(d);
      if (x.name() == y.name()) {
        return Invalid(n, absl::StrCat("class '", x.name(), "' appears twice"));
      }
      if (!x.label().empty() && x.label() == y.label()) {
        return Invalid(n, absl::StrCat("classes '", y.name(), "' and '", x.name(),
                                       "' both map to '", x.label(), "'"));
      }
    }
  }
  const float emit = manifest_.emit_threshold();
  if (!(emit >= 0.0f && emit <= 1.0f)) {
    return Invalid(n, absl::StrCat("emit_threshold is ", emit, "; expected [0, 1]"));
  }
  std::shared_ptr<const fasttext::Dictionary> dict = model_->getDictionary();
  class_of_label_.assign(dict->nlabels(), -1);
  std::vector<bool> has_output(nc, false);
  for (int i = 0; i < dict->nlabels(); ++i) {
    const std::string label = dict->getLabel(i);
    for (int c = 0; c < nc; ++c) {
      if (label == "__label__" + manifest_.class_(c).name()) class_of_label_[i] = c;
    }
    if (class_of_label_[i] < 0) {
      return Invalid(n, absl::StrCat("model label ", absl::CHexEscape(label),
                                     " is not a class of its manifest"));
    }
    has_output[class_of_label_[i]] = true;
  }
  for (int c = 0; c < nc; ++c) {
    if (!has_output[c]) {
      return Invalid(n, absl::StrCat("class '", manifest_.class_(c).name(),
                                     "' of the manifest is not a label of the model"));
    }
  }
  platt_.clear();
  for (const auto& p : manifest_.platt()) platt_.push_back({p.a(), p.b()});
  try {
    input_ = model_->getInputMatrix();
    output_ = model_->getOutputMatrix();
  } catch (const std::exception& e) {
    return Invalid(n, absl::StrCat("model is not a dense fastText model: ", e.what()));
  }
  const fasttext::Args args = model_->getArgs();
  if (args.loss != fasttext::loss_name::softmax || output_->size(0) != dict->nlabels() ||
      output_->size(1) != input_->size(1) ||
      input_->size(0) != static_cast<int64_t>(dict->nwords()) + args.bucket) {
    return Invalid(n, absl::StrCat("expected a softmax fastText classifier with ",
                                   dict->nlabels(), " labels and ", dict->nwords(), " + ",
                                   args.bucket, " input rows"));
  }
  return absl::OkStatus();
}

std::string TextLabeler::origin() const { return absl::StrCat("labeler:", name(), "@", version()); }

std::vector<std::string> TextLabeler::LabelNames() const {
  std::vector<std::string> out;
  for (const auto& c : manifest_.class_()) {
    if (!c.label().empty()) out.push_back(c.label());
  }
  return out;
}

namespace {

// out[0, dim) += row[0, dim): the inner loop of the forward pass, written so
// the compiler vectorizes it (SSE2 on every x86-64; no AVX needed).
void AddRow(const float* __restrict row, float* __restrict out, int64_t dim) {
  for (int64_t d = 0; d < dim; ++d) out[d] += row[d];
}

float Dot(const float* __restrict a, const float* __restrict b, int64_t dim) {
  float s = 0;
  for (int64_t d = 0; d < dim; ++d) s += a[d] * b[d];
  return s;
}

}  // namespace

std::vector<double> TextLabeler::RawProbabilities(const std::string& tokens) const {
  const int nc = manifest_.class__size();
  std::vector<double> p(nc, 0.0);
  std::istringstream in(tokens + "\n");
  std::vector<int32_t> words, labels;
  model_->getDictionary()->getLine(in, words, labels);
  if (words.empty()) {
    for (double& v : p) v = 1.0 / nc;
    return p;
  }
  const int64_t dim = input_->size(1);
  const float* in_data = input_->data();
  std::vector<float> hidden(dim, 0.0f);
  for (int32_t id : words) AddRow(in_data + static_cast<int64_t>(id) * dim, hidden.data(), dim);
  const float inv = 1.0f / static_cast<float>(words.size());
  for (float& h : hidden) h *= inv;
  const int64_t nl = output_->size(0);
  std::vector<double> logits(nl);
  double max_logit = -1e300;
  for (int64_t j = 0; j < nl; ++j) {
    logits[j] = Dot(output_->data() + j * dim, hidden.data(), dim);
    max_logit = std::max(max_logit, logits[j]);
  }
  double z = 0;
  for (double& v : logits) {
    v = std::exp(v - max_logit);
    z += v;
  }
  for (int64_t j = 0; j < nl; ++j) p[class_of_label_[j]] += logits[j] / z;
  return p;
}

std::vector<double> TextLabeler::RawProbabilitiesReference(const std::string& tokens) const {
  const int nc = manifest_.class__size();
  std::vector<double> p(nc, 0.0);
  std::istringstream in(tokens + "\n");
  std::vector<int32_t> words, labels;
  model_->getDictionary()->getLine(in, words, labels);
  fasttext::Predictions preds;
  if (!words.empty()) {
    model_->predict(static_cast<int32_t>(class_of_label_.size()), words, preds, 0.0);
  }
  if (preds.empty()) {
    for (double& v : p) v = 1.0 / nc;
    return p;
  }
  for (const auto& [logp, id] : preds) {
    if (id >= 0 && id < static_cast<int>(class_of_label_.size())) {
      // fastText reports log(p + 1e-5) (its std_log).
      p[class_of_label_[id]] += std::max(0.0, std::exp(static_cast<double>(logp)) - 1e-5);
    }
  }
  return p;
}

std::vector<double> TextLabeler::Calibrate(const std::vector<double>& raw) const {
  const int nc = static_cast<int>(raw.size());
  std::vector<double> q(nc);
  if (nc == 2) {
    q[0] = platt_[0].Apply(Logit(raw[0]));
    q[1] = 1.0 - q[0];
    return q;
  }
  for (int c = 0; c < nc; ++c) q[c] = platt_[c].Apply(Logit(raw[c]));
  return q;
}

int TextLabeler::Decide(const std::vector<double>& prob) const {
  int best = 0;
  double best_v = -1;
  for (int c = 0; c < static_cast<int>(prob.size()); ++c) {
    const double v = manifest_.decision_weight(c) * prob[c];
    if (v > best_v) {
      best_v = v;
      best = c;
    }
  }
  return best;
}

std::vector<Label> TextLabeler::LabelsFor(absl::string_view text, UnixSeconds now) const {
  const std::vector<double> raw = RawProbabilities(LabelerTokens(text, language()));
  const std::vector<double> q = Calibrate(raw);
  std::vector<Label> out;
  const std::string from = origin();
  for (int c = 0; c < manifest_.class__size(); ++c) {
    const std::string& label = manifest_.class_(c).label();
    if (label.empty() || q[c] < manifest_.emit_threshold()) continue;
    Label l;
    l.name = label;
    l.confidence = static_cast<float>(q[c]);
    l.source = LabelSource::kModel;
    l.time = now;
    l.origin = from;
    l.score = static_cast<float>(std::min(1.0, std::max(0.0, raw[c])));
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace feedgov
