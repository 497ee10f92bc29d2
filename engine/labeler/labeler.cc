#include "engine/labeler/labeler.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/labeler/text.h"
#include "fasttext/fasttext.h"
#include "google/protobuf/text_format.h"

namespace feedgov {

TextLabeler::~TextLabeler() = default;

absl::StatusOr<std::unique_ptr<const TextLabeler>> TextLabeler::Load(const std::string& dir) {
  const std::string manifest_path = (std::filesystem::path(dir) / "labeler.textproto").string();
  const std::string model_path = (std::filesystem::path(dir) / "model.bin").string();
  std::ifstream in(manifest_path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", manifest_path));
  std::stringstream text;
  text << in.rdbuf();
  std::unique_ptr<TextLabeler> l(new TextLabeler());
  if (!google::protobuf::TextFormat::ParseFromString(text.str(), &l->manifest_)) {
    return absl::InvalidArgumentError(absl::StrCat(manifest_path, ": does not parse as a feedgov.v1.LabelerManifest"));
  }
  if (!std::filesystem::exists(model_path)) {
    return absl::NotFoundError(absl::StrCat("cannot open ", model_path));
  }
  auto model = std::make_shared<fasttext::FastText>();
  try {
    model->loadModel(model_path);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(model_path, ": not a fastText model: ", e.what()));
  }
  l->model_ = std::move(model);
  FEEDGOV_RETURN_IF_ERROR(l->Bind());
  return std::unique_ptr<const TextLabeler>(std::move(l));
}

std::unique_ptr<const TextLabeler> TextLabeler::FromModel(
    std::shared_ptr<const fasttext::FastText> model, feedgov::v1::LabelerManifest manifest) {
  std::unique_ptr<TextLabeler> l(new TextLabeler());
  l->model_ = std::move(model);
  l->manifest_ = std::move(manifest);
  absl::Status s = l->Bind();
  (void)s;  // The trainer built both from one config; Bind cannot fail.
  return l;
}

absl::Status TextLabeler::Bind() {
  const int nc = manifest_.class__size();
  if (nc < 2) {
    return absl::InvalidArgumentError(absl::StrCat("labeler ", name(), ": fewer than 2 classes"));
  }
  if (manifest_.platt_size() != nc || manifest_.decision_weight_size() != nc) {
    return absl::InvalidArgumentError(absl::StrCat(
        "labeler ", name(), ": ", nc, " classes but ", manifest_.platt_size(),
        " Platt fits and ", manifest_.decision_weight_size(), " decision weights"));
  }
  std::shared_ptr<const fasttext::Dictionary> dict = model_->getDictionary();
  class_of_label_.assign(dict->nlabels(), -1);
  for (int i = 0; i < dict->nlabels(); ++i) {
    const std::string label = dict->getLabel(i);
    for (int c = 0; c < nc; ++c) {
      if (label == "__label__" + manifest_.class_(c).name()) class_of_label_[i] = c;
    }
    if (class_of_label_[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "labeler ", name(), ": model label ", label, " is not a class of its manifest"));
    }
  }
  platt_.clear();
  for (const auto& p : manifest_.platt()) platt_.push_back({p.a(), p.b()});
  try {
    input_ = model_->getInputMatrix();
    output_ = model_->getOutputMatrix();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("labeler ", name(), ": model is not a dense fastText model: ", e.what()));
  }
  if (model_->getArgs().loss != fasttext::loss_name::softmax ||
      output_->size(0) != dict->nlabels() || output_->size(1) != input_->size(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("labeler ", name(), ": expected a softmax fastText classifier with ",
                     dict->nlabels(), " labels"));
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
