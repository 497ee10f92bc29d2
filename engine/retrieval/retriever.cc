#include "engine/retrieval/retriever.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <optional>
#include <utility>

#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include "absl/strings/str_cat.h"
#include "engine/common/sha256.h"
#include "engine/common/status_macros.h"
#include "feedgov/v1/model_config.pb.h"

namespace feedgov {
namespace {

using FaissIdx = faiss::Index::idx_t;

constexpr char kMagic[] = "FGRIDX01";
constexpr size_t kMagicLen = 8;
constexpr size_t kShaHexLen = 64;
constexpr int kMaxAnnCalls = 4;
constexpr float kMaxNormError = 1e-3f;

// Sets the calling thread's OpenMP team size for FAISS calls made in scope.
// omp_set_num_threads only changes the calling thread's ICV, so this is safe
// with concurrent callers. threads <= 0 leaves the setting unchanged.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads) : previous_(omp_get_max_threads()) {
    if (threads > 0) omp_set_num_threads(threads);
  }
  ~ScopedOmpThreads() { omp_set_num_threads(previous_); }
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int previous_;
};

// FAISS filter over a RowSet. Non-owning; the RowSet outlives the search.
class RowSetSelector final : public faiss::IDSelector {
 public:
  explicit RowSetSelector(const RowSet& rows) : rows_(rows) {}
  bool is_member(FaissIdx id) const override {
    return id >= 0 && id < rows_.size() && rows_.contains(static_cast<Row>(id));
  }

 private:
  const RowSet& rows_;
};

// Runs `fn` (a FAISS call) and converts anything it throws into `code`.
template <typename Fn>
absl::Status CallFaiss(absl::StatusCode code, absl::string_view what, Fn&& fn) {
  try {
    fn();
    return absl::OkStatus();
  } catch (const faiss::FaissException& e) {
    return absl::Status(code, absl::StrCat(what, ": FAISS error: ", e.what()));
  } catch (const std::exception& e) {
    return absl::Status(code, absl::StrCat(what, ": ", e.what()));
  }
}

absl::Status ValidateEmbeddings(const RowMatrixXf& normalized) {
  if (normalized.cols() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "embeddings have ", normalized.cols(), " columns, want d >= 1"));
  }
  if (normalized.rows() > std::numeric_limits<Row>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "embeddings have ", normalized.rows(), " rows, want <= 2^31-1"));
  }
  for (Eigen::Index r = 0; r < normalized.rows(); ++r) {
    const auto row = normalized.row(r);
    if (!row.allFinite()) {
      return absl::InvalidArgumentError(
          absl::StrCat("embedding row ", r, " has a non-finite value"));
    }
    const float norm = row.norm();
    if (std::abs(norm - 1.0f) > kMaxNormError) {
      return absl::InvalidArgumentError(
          absl::StrCat("embedding row ", r, " has L2 norm ", norm,
                       ", want 1 (+-", kMaxNormError, "); normalize rows first"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEligible(const RowSet* eligible, int64_t n) {
  if (eligible != nullptr && eligible->size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "eligible set has ", eligible->size(), " rows, want ", n,
        " (the catalog size)"));
  }
  return absl::OkStatus();
}

const std::string& ChooseFactory(int64_t n, const RetrieverOptions& options) {
  return n < options.hnsw_min_items ? options.small_factory
                                    : options.large_factory;
}

// Index families we know how to search (params type, filter support).
absl::Status CheckSupported(const faiss::Index& index,
                            absl::string_view factory) {
  if (dynamic_cast<const faiss::IndexFlat*>(&index) != nullptr ||
      dynamic_cast<const faiss::IndexHNSW*>(&index) != nullptr) {
    if (index.metric_type != faiss::METRIC_INNER_PRODUCT) {
      return absl::InvalidArgumentError(absl::StrCat(
          "index for factory \"", factory, "\" is not inner-product"));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "factory \"", factory,
      "\" is not a supported index family; want \"Flat\" or \"HNSW<M>[,...]\""));
}

void ApplySearchOptions(faiss::Index& index, const RetrieverOptions& options) {
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(&index)) {
    hnsw->hnsw.efSearch = options.ef_search;
  }
}

absl::StatusOr<std::unique_ptr<faiss::Index>> MakeIndex(
    const std::string& factory, int64_t d, const RetrieverOptions& options) {
  std::unique_ptr<faiss::Index> index;
  FEEDGOV_RETURN_IF_ERROR(CallFaiss(
      absl::StatusCode::kInvalidArgument,
      absl::StrCat("creating FAISS index \"", factory, "\" with d=", d), [&] {
        index.reset(faiss::index_factory(static_cast<int>(d), factory.c_str(),
                                         faiss::METRIC_INNER_PRODUCT));
      }));
  FEEDGOV_RETURN_IF_ERROR(CheckSupported(*index, factory));
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index.get())) {
    hnsw->hnsw.efConstruction = options.ef_construction;
  }
  ApplySearchOptions(*index, options);
  return index;
}

// Adds rows [from, to) of `normalized` to `index`.
absl::Status AddRows(faiss::Index& index, const RowMatrixXf& normalized,
                     int64_t from, const RetrieverOptions& options) {
  const int64_t count = normalized.rows() - from;
  if (count <= 0) return absl::OkStatus();
  ScopedOmpThreads threads(options.deterministic_build ? 1 : 0);
  const float* data = normalized.data() + from * normalized.cols();
  return CallFaiss(absl::StatusCode::kInternal, "adding rows to FAISS index",
                   [&] {
                     if (!index.is_trained) index.train(count, data);
                     index.add(count, data);
                   });
}

absl::StatusOr<std::string> WriteIndexBytes(const faiss::Index& index) {
  faiss::VectorIOWriter writer;
  FEEDGOV_RETURN_IF_ERROR(
      CallFaiss(absl::StatusCode::kInternal, "writing FAISS index",
                [&] { faiss::write_index(&index, &writer); }));
  return std::string(writer.data.begin(), writer.data.end());
}

absl::StatusOr<std::unique_ptr<faiss::Index>> ReadIndexBytes(
    absl::string_view bytes) {
  faiss::VectorIOReader reader;
  reader.data.assign(bytes.begin(), bytes.end());
  std::unique_ptr<faiss::Index> index;
  FEEDGOV_RETURN_IF_ERROR(
      CallFaiss(absl::StatusCode::kDataLoss, "reading FAISS index",
                [&] { index.reset(faiss::read_index(&reader)); }));
  if (index == nullptr) return absl::DataLossError("FAISS read no index");
  return index;
}

// The uncompressed vectors a Flat / HNSW-Flat index stores, or nullptr.
const faiss::IndexFlat* FlatStorage(const faiss::Index& index) {
  if (auto* flat = dynamic_cast<const faiss::IndexFlat*>(&index)) return flat;
  if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(&index)) {
    return dynamic_cast<const faiss::IndexFlat*>(hnsw->storage);
  }
  return nullptr;
}

// Graph sanity for a deserialized HNSW index, so a crafted file cannot make
// search read out of bounds.
absl::Status CheckHnswGraph(const faiss::IndexHNSW& index) {
  const faiss::HNSW& g = index.hnsw;
  const int64_t n = index.ntotal;
  if (index.storage == nullptr || index.storage->ntotal != n ||
      static_cast<int64_t>(g.levels.size()) != n ||
      static_cast<int64_t>(g.offsets.size()) != n + 1 ||
      g.offsets.back() != g.neighbors.size() ||
      g.entry_point < (n > 0 ? 0 : -1) || g.entry_point >= n) {
    return absl::DataLossError("HNSW graph header is inconsistent");
  }
  for (int64_t i = 0; i < n; ++i) {
    if (g.offsets[i] > g.offsets[i + 1]) {
      return absl::DataLossError("HNSW neighbor offsets are not monotone");
    }
  }
  for (auto v : g.neighbors) {
    if (v < -1 || v >= n) {
      return absl::DataLossError(
          absl::StrCat("HNSW graph has neighbor id ", v, " outside [-1, ", n, ")"));
    }
  }
  return absl::OkStatus();
}

// Little-endian append / parse of the Serialize() envelope.
template <typename T>
void AppendPod(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

class ByteReader {
 public:
  explicit ByteReader(absl::string_view bytes) : rest_(bytes) {}
  bool Take(size_t len, absl::string_view* out) {
    if (rest_.size() < len) return false;
    *out = rest_.substr(0, len);
    rest_.remove_prefix(len);
    return true;
  }
  template <typename T>
  bool TakePod(T* out) {
    absl::string_view raw;
    if (!Take(sizeof(T), &raw)) return false;
    std::memcpy(out, raw.data(), sizeof(T));
    return true;
  }
  size_t remaining() const { return rest_.size(); }

 private:
  absl::string_view rest_;
};

struct Envelope {
  int64_t n = 0;
  int64_t d = 0;
  std::string factory;
  absl::string_view payload;
};

absl::StatusOr<Envelope> ParseEnvelope(absl::string_view bytes) {
  ByteReader reader(bytes);
  absl::string_view magic, factory, sha, payload;
  Envelope env;
  uint32_t factory_len = 0;
  uint64_t payload_len = 0;
  if (!reader.Take(kMagicLen, &magic) || magic != absl::string_view(kMagic, kMagicLen)) {
    return absl::DataLossError(
        "retriever index bytes do not start with magic \"FGRIDX01\"");
  }
  if (!reader.TakePod(&env.n) || !reader.TakePod(&env.d) ||
      !reader.TakePod(&factory_len) || !reader.Take(factory_len, &factory) ||
      !reader.Take(kShaHexLen, &sha) || !reader.TakePod(&payload_len) ||
      !reader.Take(payload_len, &payload)) {
    return absl::DataLossError(absl::StrCat(
        "retriever index bytes are truncated (", bytes.size(), " bytes)"));
  }
  if (reader.remaining() != 0) {
    return absl::DataLossError(absl::StrCat("retriever index bytes have ",
                                            reader.remaining(),
                                            " trailing bytes"));
  }
  if (Sha256Hex(payload) != sha) {
    return absl::DataLossError(
        "retriever index payload fails its SHA-256 checksum (corrupted)");
  }
  env.factory = std::string(factory);
  env.payload = payload;
  return env;
}

// The first ANN request for `want` eligible rows out of `count` of `n`:
// each returned row is eligible with probability p = count / n, so asking
// for want / p plus three binomial standard deviations
// (3 * sqrt(want * (1 - p)) / p) starves only rarely, and asks for exactly
// `want` when nothing is filtered (the 1.25x margin it replaces made a 99%
// eligible filter cost 25% more HNSW work than no filter).
int64_t FirstAnnK(int64_t want, int64_t count, int64_t n) {
  if (count >= n) return want;
  const double p = static_cast<double>(count) / static_cast<double>(n);
  const double w = static_cast<double>(want);
  return std::max<int64_t>(
      want, static_cast<int64_t>(std::ceil(
                (w + 3.0 * std::sqrt(w * (1.0 - p))) / p)));
}

// HitBefore as a function object, so sorts inline the comparison (a function
// pointer is called through).
constexpr auto kHitBefore = [](const Hit& a, const Hit& b) {
  return HitBefore(a, b);
};

// Keeps the best `want` hits of `hits` in HitBefore order.
void KeepBest(std::vector<Hit>& hits, int64_t want) {
  if (static_cast<int64_t>(hits.size()) > want) {
    std::nth_element(hits.begin(), hits.begin() + want, hits.end(), kHitBefore);
    hits.resize(want);
  }
  std::sort(hits.begin(), hits.end(), kHitBefore);
}

}  // namespace

absl::Status RetrieverOptions::Validate() const {
  if (small_factory.empty() || large_factory.empty()) {
    return absl::InvalidArgumentError(
        "RetrieverOptions: small_factory and large_factory must be non-empty");
  }
  if (hnsw_min_items < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RetrieverOptions.hnsw_min_items is ", hnsw_min_items, ", want >= 1"));
  }
  if (ef_search < 1 || ef_search > 100000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RetrieverOptions.ef_search is ", ef_search, ", want [1, 100000]"));
  }
  if (ef_construction < 1 || ef_construction > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("RetrieverOptions.ef_construction is ", ef_construction,
                     ", want [1, 10000]"));
  }
  if (!(ann_cost_per_result >= 0.0 && std::isfinite(ann_cost_per_result))) {
    return absl::InvalidArgumentError(
        absl::StrCat("RetrieverOptions.ann_cost_per_result is ",
                     ann_cost_per_result, ", want a finite value >= 0"));
  }
  if (!(exact_max_eligible_fraction >= 0.0 &&
        exact_max_eligible_fraction <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("RetrieverOptions.exact_max_eligible_fraction is ",
                     exact_max_eligible_fraction, ", want [0, 1]"));
  }
  return absl::OkStatus();
}

RetrieverOptions RetrieverOptions::FromConfig(
    const feedgov::v1::RetrievalConfig& config) {
  RetrieverOptions o;
  if (!config.small_factory().empty()) o.small_factory = config.small_factory();
  if (!config.large_factory().empty()) o.large_factory = config.large_factory();
  if (config.hnsw_min_items() != 0) o.hnsw_min_items = config.hnsw_min_items();
  if (config.hnsw_ef_search() != 0) o.ef_search = config.hnsw_ef_search();
  if (config.hnsw_ef_construction() != 0) {
    o.ef_construction = config.hnsw_ef_construction();
  }
  if (config.exact_max_eligible_fraction() != 0.0) {
    o.exact_max_eligible_fraction = config.exact_max_eligible_fraction();
  }
  return o;
}

Retriever::Retriever(const RowMatrixXf& embeddings,
                     std::unique_ptr<faiss::Index> index,
                     std::string factory, const RetrieverOptions& options)
    : index_(std::move(index)),
      own_embeddings_(FlatStorage(*index_) != nullptr ? RowMatrixXf()
                                                      : embeddings),
      embeddings_(FlatStorage(*index_) != nullptr
                      ? FlatStorage(*index_)->get_xb()
                      : own_embeddings_.data(),
                  index_->ntotal, index_->d),
      factory_(std::move(factory)),
      options_(options),
      is_exact_(dynamic_cast<const faiss::IndexFlat*>(index_.get()) != nullptr) {}

Retriever::~Retriever() = default;

absl::StatusOr<std::unique_ptr<Retriever>> Retriever::Build(
    const RowMatrixXf& normalized, const RetrieverOptions& options) {
  FEEDGOV_RETURN_IF_ERROR(options.Validate());
  FEEDGOV_RETURN_IF_ERROR(ValidateEmbeddings(normalized));
  const std::string& factory = ChooseFactory(normalized.rows(), options);
  FEEDGOV_ASSIGN_OR_RETURN(auto index,
                           MakeIndex(factory, normalized.cols(), options));
  FEEDGOV_RETURN_IF_ERROR(AddRows(*index, normalized, 0, options));
  return std::unique_ptr<Retriever>(
      new Retriever(normalized, std::move(index), factory, options));
}

absl::StatusOr<std::string> Retriever::Serialize() const {
  FEEDGOV_ASSIGN_OR_RETURN(std::string payload, WriteIndexBytes(*index_));
  std::string out(kMagic, kMagicLen);
  AppendPod<int64_t>(out, size());
  AppendPod<int64_t>(out, dim());
  AppendPod<uint32_t>(out, static_cast<uint32_t>(factory_.size()));
  out += factory_;
  out += Sha256Hex(payload);
  AppendPod<uint64_t>(out, payload.size());
  out += payload;
  return out;
}

absl::StatusOr<std::unique_ptr<Retriever>> Retriever::Deserialize(
    absl::string_view bytes, const RowMatrixXf& normalized,
    const RetrieverOptions& options) {
  FEEDGOV_RETURN_IF_ERROR(options.Validate());
  FEEDGOV_RETURN_IF_ERROR(ValidateEmbeddings(normalized));
  FEEDGOV_ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(bytes));
  if (env.n != normalized.rows() || env.d != normalized.cols()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "retriever index was built for ", env.n, " x ", env.d,
        " embeddings, but the catalog has ", normalized.rows(), " x ",
        normalized.cols()));
  }
  FEEDGOV_ASSIGN_OR_RETURN(auto index, ReadIndexBytes(env.payload));
  FEEDGOV_RETURN_IF_ERROR(
      Annotate(CheckSupported(*index, env.factory), "deserialized index"));
  if (index->ntotal != env.n || index->d != env.d) {
    return absl::DataLossError(absl::StrCat(
        "FAISS index holds ", index->ntotal, " x ", index->d,
        " vectors but its header says ", env.n, " x ", env.d));
  }
  if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index.get())) {
    FEEDGOV_RETURN_IF_ERROR(CheckHnswGraph(*hnsw));
  }
  if (const faiss::IndexFlat* flat = FlatStorage(*index)) {
    if (flat->ntotal != env.n ||
        std::memcmp(flat->get_xb(), normalized.data(),
                    sizeof(float) * env.n * env.d) != 0) {
      return absl::FailedPreconditionError(
          "retriever index vectors differ from the catalog embeddings "
          "(index built for another model version?)");
    }
  }
  ApplySearchOptions(*index, options);
  return std::unique_ptr<Retriever>(
      new Retriever(normalized, std::move(index), env.factory, options));
}

absl::StatusOr<std::unique_ptr<Retriever>> Retriever::WithAddedRows(
    const RowMatrixXf& all_normalized) const {
  const int64_t n = size();
  if (all_normalized.cols() != dim() || all_normalized.rows() < n) {
    return absl::FailedPreconditionError(absl::StrCat(
        "WithAddedRows got ", all_normalized.rows(), " x ",
        all_normalized.cols(), " embeddings, want >= ", n, " rows x ", dim(),
        " columns"));
  }
  if (std::memcmp(all_normalized.data(), embeddings_.data(),
                  sizeof(float) * n * dim()) != 0) {
    return absl::FailedPreconditionError(
        "WithAddedRows: existing rows changed; rebuild with Retriever::Build");
  }
  const std::string& factory = ChooseFactory(all_normalized.rows(), options_);
  if (factory != factory_) return Build(all_normalized, options_);
  FEEDGOV_RETURN_IF_ERROR(ValidateEmbeddings(all_normalized));
  FEEDGOV_ASSIGN_OR_RETURN(std::string bytes, WriteIndexBytes(*index_));
  FEEDGOV_ASSIGN_OR_RETURN(auto index, ReadIndexBytes(bytes));
  FEEDGOV_RETURN_IF_ERROR(AddRows(*index, all_normalized, n, options_));
  ApplySearchOptions(*index, options_);
  return std::unique_ptr<Retriever>(
      new Retriever(all_normalized, std::move(index), factory_, options_));
}

bool Retriever::AnnTooCostly(int64_t ann_k, int64_t count) const {
  return ann_k > kMaxK || ann_k >= size() ||
         static_cast<double>(ann_k) * options_.ann_cost_per_result >=
             static_cast<double>(count);
}

std::vector<Hit> Retriever::ExactSearch(const Eigen::VectorXf& q, int64_t want,
                                        const RowSet* eligible) const {
  std::vector<Hit> hits;
  if (eligible == nullptr) {
    hits.reserve(size());
    for (Row r = 0; r < size(); ++r) {
      hits.push_back({r, RowSimilarity(embeddings_, r, q)});
    }
  } else {
    eligible->ForEach(
        [&](Row r) { hits.push_back({r, RowSimilarity(embeddings_, r, q)}); });
  }
  KeepBest(hits, want);
  return hits;
}

absl::StatusOr<std::vector<Hit>> Retriever::AnnSearch(
    const Eigen::VectorXf& q, int64_t ann_k, const RowSet* eligible) const {
  std::optional<RowSetSelector> selector;
  if (eligible != nullptr) selector.emplace(*eligible);
  faiss::SearchParametersHNSW params;
  params.efSearch = options_.ef_search;
  params.sel = selector ? &*selector : nullptr;
  std::vector<float> distances(ann_k);
  std::vector<FaissIdx> labels(ann_k);
  {
    ScopedOmpThreads threads(1);  // One query: no team, no per-thread tables.
    FEEDGOV_RETURN_IF_ERROR(
        CallFaiss(absl::StatusCode::kInternal, "FAISS search", [&] {
          index_->search(1, q.data(), ann_k, distances.data(), labels.data(),
                         &params);
        }));
  }
  // Keep the eligible labels, then score them exactly. Each row is a cache
  // miss (HNSW visited it long ago), so rows are prefetched a few ahead.
  std::vector<Hit> hits;
  hits.reserve(labels.size());
  for (FaissIdx label : labels) {
    if (label < 0 || label >= size()) continue;  // -1 padding.
    const Row r = static_cast<Row>(label);
    if (eligible == nullptr || eligible->contains(r)) hits.push_back({r, 0.0f});
  }
  constexpr size_t kAhead = 8;
  const size_t row_bytes = sizeof(float) * static_cast<size_t>(dim());
  auto prefetch = [&](Row r) {
    const char* p = reinterpret_cast<const char*>(embeddings_.data()) +
                    static_cast<size_t>(r) * row_bytes;
    for (size_t off = 0; off < row_bytes; off += 64) __builtin_prefetch(p + off);
  };
  for (size_t i = 0; i < std::min(kAhead, hits.size()); ++i) prefetch(hits[i].row);
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i + kAhead < hits.size()) prefetch(hits[i + kAhead].row);
    hits[i].similarity = RowSimilarity(embeddings_, hits[i].row, q);
  }
  std::sort(hits.begin(), hits.end(), kHitBefore);
  // FAISS does not return a row twice; if it did, the copies (same row, same
  // similarity) are adjacent now.
  hits.erase(std::unique(hits.begin(), hits.end(),
                         [](const Hit& a, const Hit& b) { return a.row == b.row; }),
             hits.end());
  return hits;
}

absl::StatusOr<std::vector<Hit>> Retriever::Search(absl::Span<const float> query,
                                                   int k,
                                                   const RowSet* eligible,
                                                   SearchInfo* info,
                                                   const SearchOptions& options) const {
  SearchInfo local;
  if (info == nullptr) info = &local;
  *info = SearchInfo();
  FEEDGOV_RETURN_IF_ERROR(ValidateQuery(query, dim()));
  if (k < 1 || k > kMaxK) {
    return absl::InvalidArgumentError(
        absl::StrCat("k is ", k, ", want [1, ", kMaxK, "]"));
  }
  FEEDGOV_RETURN_IF_ERROR(ValidateEligible(eligible, size()));
  const int64_t n = size();
  if (options.min_hits == 0 || options.min_hits < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_hits is ", options.min_hits, ", want -1 or >= 1"));
  }
  if (options.eligible_count < -1 || options.eligible_count > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("eligible_count is ", options.eligible_count,
                     ", want -1 or [0, ", n, "]"));
  }
  const int64_t count = eligible == nullptr          ? n
                        : options.eligible_count >= 0 ? options.eligible_count
                                                      : eligible->count();
  const int64_t want = std::min<int64_t>(k, count);
  // The fewest hits an ANN answer must hold (a full page unless the caller
  // accepts fewer and does not want every eligible row).
  const int64_t need = options.min_hits >= 0 && want < count
                           ? std::min<int64_t>(options.min_hits, want)
                           : want;
  if (want == 0) {
    info->exact = true;
    return std::vector<Hit>();
  }
  const Eigen::VectorXf q = NormalizeQuery(query);
  const bool selective =
      eligible != nullptr &&
      static_cast<double>(count) <= options_.exact_max_eligible_fraction * n;
  if (is_exact_ || selective) {
    info->exact = true;
    return ExactSearch(q, want, eligible);
  }
  int64_t ann_k = std::max(want, FirstAnnK(need, count, n));
  while (info->ann_attempts < kMaxAnnCalls && !AnnTooCostly(ann_k, count)) {
    ++info->ann_attempts;
    info->ann_k = ann_k;
    FEEDGOV_ASSIGN_OR_RETURN(std::vector<Hit> hits,
                             AnnSearch(q, ann_k, eligible));
    if (static_cast<int64_t>(hits.size()) >= need) {
      if (static_cast<int64_t>(hits.size()) > want) hits.resize(want);
      return hits;
    }
    ann_k *= 2;
  }
  if (info->ann_attempts == 0) {
    info->exact = true;
    return ExactSearch(q, want, eligible);
  }
  info->exact = true;
  info->fell_back_to_exact = true;
  return ExactSearch(q, want, eligible);
}

absl::StatusOr<std::vector<Hit>> Retriever::SearchAboveThreshold(
    absl::Span<const float> query, float min_similarity, int max_results,
    const RowSet* eligible) const {
  FEEDGOV_RETURN_IF_ERROR(ValidateQuery(query, dim()));
  if (!std::isfinite(min_similarity)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_similarity is ", min_similarity, ", want a finite float"));
  }
  if (max_results < 1 || max_results > kMaxK) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_results is ", max_results, ", want [1, ", kMaxK, "]"));
  }
  FEEDGOV_RETURN_IF_ERROR(ValidateEligible(eligible, size()));
  const Eigen::VectorXf q = NormalizeQuery(query);
  std::vector<Hit> hits;
  auto consider = [&](Row r) {
    const float s = RowSimilarity(embeddings_, r, q);
    if (s >= min_similarity) hits.push_back({r, s});
  };
  if (eligible == nullptr) {
    for (Row r = 0; r < size(); ++r) consider(r);
  } else {
    eligible->ForEach(consider);
  }
  KeepBest(hits, max_results);
  return hits;
}

}  // namespace feedgov
