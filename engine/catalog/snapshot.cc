#include "engine/catalog/snapshot.h"

#include "engine/catalog/proto_convert.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/common/sha256.h"
#include "engine/common/status_macros.h"
#include "engine/common/time_util.h"
#include "feedgov/v1/snapshot.pb.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace feedgov {
namespace {

static_assert(std::endian::native == std::endian::little,
              "snapshot float files are little-endian");

namespace fs = std::filesystem;

constexpr char kItems[] = "items.pb";
constexpr char kLabels[] = "labels.pb";
constexpr char kItemEmbeddings[] = "item_embeddings.f32";
constexpr char kUserEmbeddings[] = "user_embeddings.f32";
constexpr char kUsers[] = "users.pb";
constexpr char kIndex[] = "index.faiss";
constexpr char kModelConfig[] = "model_config.textproto";
constexpr const char* kDataFiles[] = {kItems,   kLabels, kItemEmbeddings, kUserEmbeddings,
                                      kUsers,   kIndex,  kModelConfig};

// ---------------------------------------------------------------- encoding

absl::string_view FloatBytes(const RowMatrixXf& m) {
  return absl::string_view(reinterpret_cast<const char*>(m.data()),
                           static_cast<size_t>(m.size()) * sizeof(float));
}

std::string EncodeItems(const Catalog& catalog) {
  v1::SnapshotItems out;
  for (const Item& item : catalog.items()) ItemToProto(item, out.add_items());
  return out.SerializeAsString();
}

std::string EncodeLabels(const LabelTable& labels) {
  v1::SnapshotLabels out;
  for (ItemId id : labels.LabeledItems()) {
    v1::SnapshotItemLabels* p = out.add_items();
    p->set_item_id(id);
    for (const Label& label : labels.LabelsFor(id)) {
      *p->add_labels() = LabelToProto(label);
    }
  }
  return out.SerializeAsString();
}

std::string EncodeUsers(const UserTable& users) {
  v1::SnapshotUsers out;
  for (int32_t u = 0; u < users.size(); ++u) {
    v1::SnapshotUser* p = out.add_users();
    p->set_user_id(users.user_id(u));
    for (const UserInteraction& x : users.interactions(u)) {
      v1::SnapshotInteraction* i = p->add_interactions();
      i->set_item_id(x.item);
      i->set_rating(x.rating);
      i->set_time_unix_s(x.time);
    }
  }
  return out.SerializeAsString();
}

// ---------------------------------------------------------------- writing

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Creates `path` with `data`, fsync'ed.
absl::Status WriteSynced(const std::string& path, absl::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return ErrnoError("create", path);
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = ErrnoError("write", path);
      ::close(fd);
      return s;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status s = ErrnoError("fsync", path);
    ::close(fd);
    return s;
  }
  if (::close(fd) != 0) return ErrnoError("close", path);
  return absl::OkStatus();
}

absl::Status CheckContents(const SnapshotContents& c) {
  if (c.catalog == nullptr || c.labels == nullptr || c.users == nullptr) {
    return absl::InvalidArgumentError(
        "snapshot contents need a catalog, a label table and a user table");
  }
  if (c.users->dim() != c.catalog->dim()) {
    return absl::InvalidArgumentError(
        absl::StrCat("user embeddings have dimension ", c.users->dim(),
                     "; item embeddings have ", c.catalog->dim()));
  }
  return absl::OkStatus();
}

absl::Status RunHook(const WriteSnapshotOptions& options, const std::string& stage) {
  if (!options.fault_hook) return absl::OkStatus();
  return options.fault_hook(stage);
}

// Writes every file and the manifest into the (existing, empty) `tmp`.
absl::Status WriteFiles(const SnapshotContents& c, const std::string& tmp,
                        const WriteSnapshotOptions& options) {
  std::string items = EncodeItems(*c.catalog);
  std::string labels = EncodeLabels(*c.labels);
  std::string users = EncodeUsers(*c.users);
  const std::pair<const char*, absl::string_view> files[] = {
      {kItems, items},
      {kLabels, labels},
      {kItemEmbeddings, FloatBytes(c.catalog->embeddings())},
      {kUserEmbeddings, FloatBytes(c.users->embeddings())},
      {kUsers, users},
      {kIndex, c.index_bytes},
      {kModelConfig, c.model_config_text}};
  v1::SnapshotManifest manifest;
  manifest.set_format_version(kSnapshotFormatVersion);
  manifest.set_dim(c.catalog->dim());
  manifest.set_num_items(c.catalog->size());
  manifest.set_num_users(c.users->size());
  manifest.set_num_interactions(c.users->num_interactions());
  manifest.set_metric(kSnapshotMetric);
  manifest.set_index_factory(c.index_factory);
  manifest.set_created_unix_s(feedgov::ToUnixSeconds(options.clock->Now()));
  manifest.set_reference_time_unix_s(c.catalog->reference_time());
  manifest.set_label_version(c.labels->version());
  for (const auto& [name, data] : files) {
    FEEDGOV_RETURN_IF_ERROR(WriteSynced(absl::StrCat(tmp, "/", name), data));
    v1::SnapshotFile* f = manifest.add_files();
    f->set_name(name);
    f->set_bytes(static_cast<int64_t>(data.size()));
    f->set_sha256(Sha256Hex(data));
    FEEDGOV_RETURN_IF_ERROR(RunHook(options, name));
  }
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(manifest, &text)) {
    return absl::InternalError("cannot print snapshot manifest");
  }
  FEEDGOV_RETURN_IF_ERROR(
      WriteSynced(absl::StrCat(tmp, "/", kSnapshotManifestName), text));
  FEEDGOV_RETURN_IF_ERROR(RunHook(options, kSnapshotManifestName));
  return SyncDirectory(tmp);
}

// Sibling path ".<name>.<kind>-<pid>-<n>" of `dir`, unique within the process.
std::string SiblingPath(const fs::path& dir, absl::string_view kind) {
  static std::atomic<int64_t> counter{0};
  return (dir.parent_path() /
          absl::StrCat(".", dir.filename().string(), ".", kind, "-", ::getpid(), "-",
                       counter.fetch_add(1)))
      .string();
}

// OK if `dir` is absent, an empty directory, or a snapshot; sets *exists.
absl::Status CheckReplaceable(const fs::path& dir, bool* exists) {
  std::error_code ec;
  fs::file_status st = fs::symlink_status(dir, ec);
  *exists = fs::exists(st);
  if (!*exists) return absl::OkStatus();
  if (fs::is_directory(st) &&
      (fs::is_empty(dir, ec) || fs::exists(dir / kSnapshotManifestName, ec))) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      dir.string(), " exists and is not a snapshot directory; not replacing it"));
}

// Renames `tmp` to `dir`, moving an existing `dir` aside and deleting it.
absl::Status Install(const std::string& tmp, const fs::path& dir, bool exists,
                     const WriteSnapshotOptions& options) {
  std::string parent = dir.parent_path().string();
  if (!exists) {
    if (::rename(tmp.c_str(), dir.c_str()) != 0) return ErrnoError("rename to", dir);
    return SyncDirectory(parent);
  }
  std::string old = SiblingPath(dir, "old");
  if (::rename(dir.c_str(), old.c_str()) != 0) return ErrnoError("rename aside", dir);
  absl::Status s = RunHook(options, "old_moved_aside");
  if (s.ok() && ::rename(tmp.c_str(), dir.c_str()) != 0) s = ErrnoError("rename to", dir);
  if (!s.ok()) {
    if (::rename(old.c_str(), dir.c_str()) != 0) {
      return Annotate(s, absl::StrCat("and restoring the previous snapshot from ", old,
                                      " failed (", std::strerror(errno), ")"));
    }
    return s;
  }
  FEEDGOV_RETURN_IF_ERROR(SyncDirectory(parent));
  std::error_code ec;
  fs::remove_all(old, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("new snapshot installed but deleting ", old, " failed: ", ec.message()));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- reading

absl::Status DataLoss(absl::string_view file, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(file, ": ", what));
}

// Keeps the first text-format parse error (instead of logging it).
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (error_.empty()) error_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

absl::StatusOr<v1::SnapshotManifest> ReadManifest(const std::string& dir) {
  std::string path = absl::StrCat(dir, "/", kSnapshotManifestName);
  if (!fs::exists(path)) {
    return absl::NotFoundError(absl::StrCat("no snapshot at ", dir, " (missing ", path, ")"));
  }
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return DataLoss(kSnapshotManifestName, text.status().message());
  v1::SnapshotManifest m;
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(*text, &m)) {
    return DataLoss(kSnapshotManifestName,
                    absl::StrCat("not a valid SnapshotManifest textproto: ", errors.error()));
  }
  if (m.format_version() != kSnapshotFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(kSnapshotManifestName, ": format_version ", m.format_version(),
                     " is not supported (this reader knows ", kSnapshotFormatVersion, ")"));
  }
  if (m.metric() != kSnapshotMetric) {
    return DataLoss(kSnapshotManifestName,
                    absl::StrCat("metric '", m.metric(), "', want '", kSnapshotMetric, "'"));
  }
  if (m.dim() < 1 || m.num_items() < 0 || m.num_users() < 0 || m.num_interactions() < 0) {
    return DataLoss(kSnapshotManifestName,
                    absl::StrCat("bad shape: dim ", m.dim(), ", num_items ", m.num_items(),
                                 ", num_users ", m.num_users(), ", num_interactions ",
                                 m.num_interactions()));
  }
  return m;
}

// Reads every data file listed in `m`, checking names, sizes and hashes.
absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ReadVerifiedFiles(
    const std::string& dir, const v1::SnapshotManifest& m) {
  absl::flat_hash_map<std::string, const v1::SnapshotFile*> listed;
  for (const v1::SnapshotFile& f : m.files()) {
    if (!listed.emplace(f.name(), &f).second) {
      return DataLoss(kSnapshotManifestName, absl::StrCat("file ", f.name(), " listed twice"));
    }
  }
  if (listed.size() != std::size(kDataFiles)) {
    return DataLoss(kSnapshotManifestName,
                    absl::StrCat("lists ", listed.size(), " files, want ", std::size(kDataFiles)));
  }
  absl::flat_hash_map<std::string, std::string> data;
  for (const char* name : kDataFiles) {
    auto it = listed.find(name);
    if (it == listed.end()) return DataLoss(kSnapshotManifestName, absl::StrCat("does not list ", name));
    absl::StatusOr<std::string> bytes = ReadFile(absl::StrCat(dir, "/", name));
    if (!bytes.ok()) return DataLoss(name, bytes.status().message());
    if (static_cast<int64_t>(bytes->size()) != it->second->bytes()) {
      return DataLoss(name, absl::StrCat("is ", bytes->size(), " bytes, manifest says ",
                                         it->second->bytes()));
    }
    std::string sha = Sha256Hex(*bytes);
    if (sha != it->second->sha256()) {
      return DataLoss(name, absl::StrCat("sha256 is ", sha, ", manifest says ",
                                         it->second->sha256()));
    }
    data[name] = *std::move(bytes);
  }
  return data;
}

absl::StatusOr<RowMatrixXf> DecodeMatrix(const std::string& name, const std::string& bytes,
                                         int64_t rows, int64_t cols) {
  // rows <= 2^31 and cols <= 2^31 in practice; use 128-bit-safe check.
  __int128 want = static_cast<__int128>(rows) * cols * static_cast<int64_t>(sizeof(float));
  if (want != static_cast<__int128>(bytes.size())) {
    return DataLoss(name, absl::StrCat(bytes.size(), " bytes, but manifest shape ", rows,
                                       " x ", cols, " float32 needs ",
                                       static_cast<int64_t>(want)));
  }
  RowMatrixXf m(rows, cols);
  if (!bytes.empty()) std::memcpy(m.data(), bytes.data(), bytes.size());
  return m;
}

absl::StatusOr<std::vector<Item>> DecodeItems(const std::string& bytes, int64_t num_items) {
  v1::SnapshotItems proto;
  if (!proto.ParseFromString(bytes)) return DataLoss(kItems, "not a valid SnapshotItems");
  if (proto.items_size() != num_items) {
    return DataLoss(kItems, absl::StrCat(proto.items_size(), " items, manifest says ", num_items));
  }
  std::vector<Item> items;
  items.reserve(proto.items_size());
  for (const v1::SnapshotItem& p : proto.items()) {
    items.push_back(ItemFromProto(p));
  }
  return items;
}

absl::StatusOr<std::shared_ptr<const LabelTable>> DecodeLabels(const std::string& bytes,
                                                               int64_t version) {
  v1::SnapshotLabels proto;
  if (!proto.ParseFromString(bytes)) return DataLoss(kLabels, "not a valid SnapshotLabels");
  absl::flat_hash_map<ItemId, std::vector<Label>> map;
  for (const v1::SnapshotItemLabels& p : proto.items()) {
    std::vector<Label>& list = map[p.item_id()];
    if (!list.empty()) return DataLoss(kLabels, absl::StrCat("item ", p.item_id(), " twice"));
    for (const v1::ItemLabel& l : p.labels()) {
      absl::StatusOr<Label> label = LabelFromProto(l);
      if (!label.ok()) {
        return DataLoss(kLabels, absl::StrCat("item ", p.item_id(), ": ",
                                              label.status().message()));
      }
      list.push_back(*std::move(label));
    }
  }
  absl::StatusOr<std::shared_ptr<const LabelTable>> table =
      LabelTable::Create(std::move(map), version);
  if (!table.ok()) return DataLoss(kLabels, table.status().message());
  return table;
}

absl::StatusOr<std::shared_ptr<const UserTable>> DecodeUsers(const std::string& bytes,
                                                             RowMatrixXf embeddings,
                                                             const v1::SnapshotManifest& m) {
  v1::SnapshotUsers proto;
  if (!proto.ParseFromString(bytes)) return DataLoss(kUsers, "not a valid SnapshotUsers");
  if (proto.users_size() != m.num_users()) {
    return DataLoss(kUsers,
                    absl::StrCat(proto.users_size(), " users, manifest says ", m.num_users()));
  }
  std::vector<UserId> ids;
  std::vector<Interaction> interactions;
  for (const v1::SnapshotUser& u : proto.users()) {
    ids.push_back(u.user_id());
    for (const v1::SnapshotInteraction& x : u.interactions()) {
      interactions.push_back(Interaction{u.user_id(), x.item_id(), x.rating(), x.time_unix_s()});
    }
  }
  if (static_cast<int64_t>(interactions.size()) != m.num_interactions()) {
    return DataLoss(kUsers, absl::StrCat(interactions.size(),
                                         " interactions, manifest says ", m.num_interactions()));
  }
  absl::StatusOr<std::shared_ptr<const UserTable>> table =
      UserTable::Create(std::move(ids), std::move(embeddings), interactions);
  if (!table.ok()) return DataLoss(kUsers, table.status().message());
  return table;
}

}  // namespace

absl::Status WriteSnapshot(const SnapshotContents& contents, const std::string& dir,
                           const WriteSnapshotOptions& options) {
  FEEDGOV_RETURN_IF_ERROR(CheckContents(contents));
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("WriteSnapshotOptions.clock is null");
  }
  fs::path target = fs::absolute(fs::path(dir).lexically_normal());
  if (!target.has_filename()) target = target.parent_path();  // Trailing '/'.
  bool exists = false;
  FEEDGOV_RETURN_IF_ERROR(CheckReplaceable(target, &exists));
  std::string tmp = SiblingPath(target, "tmp");
  if (::mkdir(tmp.c_str(), 0755) != 0) return ErrnoError("mkdir", tmp);
  absl::Cleanup remove_tmp = [&tmp] {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  };
  FEEDGOV_RETURN_IF_ERROR(Annotate(WriteFiles(contents, tmp, options),
                                   absl::StrCat("writing snapshot ", target.string())));
  return Install(tmp, target, exists, options);
}

absl::StatusOr<SnapshotContents> ReadSnapshot(const std::string& dir) {
  FEEDGOV_ASSIGN_OR_RETURN(v1::SnapshotManifest m, ReadManifest(dir));
  FEEDGOV_ASSIGN_OR_RETURN(auto files, ReadVerifiedFiles(dir, m));
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<Item> items, DecodeItems(files[kItems], m.num_items()));
  FEEDGOV_ASSIGN_OR_RETURN(
      RowMatrixXf item_emb,
      DecodeMatrix(kItemEmbeddings, files[kItemEmbeddings], m.num_items(), m.dim()));
  FEEDGOV_ASSIGN_OR_RETURN(
      RowMatrixXf user_emb,
      DecodeMatrix(kUserEmbeddings, files[kUserEmbeddings], m.num_users(), m.dim()));
  SnapshotContents out;
  absl::StatusOr<std::shared_ptr<const Catalog>> catalog = Catalog::CreateNormalized(
      std::move(items), std::move(item_emb), m.reference_time_unix_s());
  if (!catalog.ok()) return DataLoss(kItemEmbeddings, catalog.status().message());
  out.catalog = *std::move(catalog);
  FEEDGOV_ASSIGN_OR_RETURN(out.labels, DecodeLabels(files[kLabels], m.label_version()));
  FEEDGOV_ASSIGN_OR_RETURN(out.users, DecodeUsers(files[kUsers], std::move(user_emb), m));
  out.index_factory = m.index_factory();
  out.index_bytes = std::move(files[kIndex]);
  out.model_config_text = std::move(files[kModelConfig]);
  return out;
}

}  // namespace feedgov
