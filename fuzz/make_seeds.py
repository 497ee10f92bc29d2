#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/.

Every seed is synthetic, made here from a fixed recipe (no random numbers,
no lines of any external data set): the repository's own policy, taxonomy,
label-map and model files (written by the project), small variations of
them, hand-made CSV and tokens files, and protobuf wire bytes encoded by
the tiny encoder below. Re-running it rewrites the same files.

Usage: fuzz/make_seeds.py   (from anywhere)
"""
import hashlib
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


# --- protobuf wire encoding (enough for the messages we seed) -------------
def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(field, n):
    return varint(field << 3) + varint(n)


def f_bytes(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return varint((field << 3) | 2) + varint(len(data)) + data


def f_double(field, x):
    return varint((field << 3) | 1) + struct.pack("<d", x)


def f_float(field, x):
    return varint((field << 3) | 5) + struct.pack("<f", x)


def packed(field, values):
    return f_bytes(field, b"".join(varint(v) for v in values))


# --- text-proto targets ----------------------------------------------------
def text_protos():
    labels = read("policies/labels.textproto")
    write("taxonomy", "labels.textproto", labels)
    write("taxonomy", "minimal.textproto",
          'version: 1\nlabel { name: "bad.x" label_class: LABEL_CLASS_BAD '
          'article: 7 item: 1 description: "d" }\n')
    write("taxonomy", "three_classes.textproto",
          'version: 2\nsource: "synthetic"\n'
          'label { name: "positive.a" label_class: LABEL_CLASS_POSITIVE article: 5 item: 1 description: "a" }\n'
          'label { name: "illegal.b" label_class: LABEL_CLASS_ILLEGAL article: 6 item: 1 description: "b" }\n'
          'label { name: "bad.c" label_class: LABEL_CLASS_BAD article: 7 item: 2 description: "c" }\n')
    write("taxonomy", "duplicate.textproto",
          'version: 1\nlabel { name: "bad.x" label_class: LABEL_CLASS_BAD article: 7 item: 1 description: "d" }\n'
          'label { name: "bad.x" label_class: LABEL_CLASS_BAD article: 7 item: 2 description: "d" }\n')

    for name in ("cn-ecology", "eu-dsa", "permissive"):
        write("policy_pack", name + ".textproto",
              read("policies/%s.textproto" % name))
    write("policy_pack", "small.textproto",
          'id: "small"\nversion: 1\njurisdiction: "CN"\n'
          'surface { id: "home" kind: SURFACE_KIND_FIRST_SCREEN key_slot: 0 key_slot: 2 '
          'positive_quota { min_positive: 1 within_first_key_slots: 2 } }\n'
          'surface { id: "feed" kind: SURFACE_KIND_FEED }\n'
          'rule { label: "illegal.*" action: RULE_ACTION_DROP threshold: 0.5 }\n'
          'rule { label: "bad.*" action: RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS threshold: 0.5 surface: "home" }\n'
          'rule { label: "positive.*" action: RULE_ACTION_BOOST threshold: 0.5 factor: 1.2 }\n'
          'audience { kind: AUDIENCE_KIND_MINORS allowed_surface: "home" '
          'rule { label: "bad.*" action: RULE_ACTION_DROP threshold: 0.3 } }\n')
    write("policy_pack", "first_n.textproto",
          'id: "first-n"\nversion: 3\npositive_threshold: 0.7\n'
          'surface { id: "hot" kind: SURFACE_KIND_HOT_LIST first_n_key_slots: 10 }\n'
          'surface { id: "all" kind: SURFACE_KIND_MINORS_ZONE all_key_slots: true '
          'unlabeled_in_key_slot: UNLABELED_IN_KEY_SLOT_REQUIRE_REVIEWED }\n'
          'rule { label: "illegal.*" action: RULE_ACTION_DROP threshold: 0 }\n'
          'rule { label: "bad.vulgar" action: RULE_ACTION_DOWNRANK threshold: 0.5 factor: 0.5 }\n')
    write("policy_pack", "machine_labels.textproto",
          'id: "machine"\nversion: 1\njurisdiction: "CN"\n'
          'surface { id: "home" kind: SURFACE_KIND_FIRST_SCREEN first_n_key_slots: 3 }\n'
          'rule { label: "illegal.*" action: RULE_ACTION_DROP threshold: 0.5 }\n'
          'rule { label: "illegal.*" action: RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS threshold: 0.5 }\n'
          'rule { label: "bad.*" action: RULE_ACTION_DROP threshold: 0.9 drop_on_machine_label: true }\n'
          'rule { label: "bad.*" action: RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS threshold: 0.5 }\n'
          'machine_label { label: "bad.clickbait" key_slot_threshold: 0.3 elsewhere_threshold: 0.8 }\n'
          'machine_label { label: "bad.*" key_slot_threshold: 0 elsewhere_threshold: 1 note: "n" }\n')
    write("policy_pack", "machine_label_shadowed.textproto",
          'id: "x"\nversion: 1\nsurface { id: "home" kind: SURFACE_KIND_FEED }\n'
          'machine_label { label: "bad.*" key_slot_threshold: 0.3 elsewhere_threshold: 0.8 }\n'
          'machine_label { label: "bad.vulgar" key_slot_threshold: 0.9 elsewhere_threshold: 0.5 }\n')
    write("policy_pack", "bad_factor.textproto",
          'id: "x"\nversion: 1\nsurface { id: "home" kind: SURFACE_KIND_FEED }\n'
          'rule { label: "positive.*" action: RULE_ACTION_BOOST threshold: 0.5 factor: 0.5 }\n')

    lm = read("policies/labelmaps/movielens.textproto")
    write("label_map", "movielens.textproto", lm)
    write("label_map", "small.textproto",
          'id: "small"\n'
          'entry { genre: "Horror" label: "bad.gore_horror" confidence: 0.6 }\n'
          'entry { tag: "gore" label: "bad.gore_horror" confidence: 0.8 }\n'
          'entry { tag: "history" label: "positive.taste_responsibility" confidence: 1 }\n'
          'entry { genre: "horror" label: "bad.vulgar" confidence: 0.1 }\n')
    write("label_map", "both_keys.textproto",
          'id: "x"\nentry { genre: "A" tag: "a" label: "bad.vulgar" confidence: 0.5 }\n')

    write("model_config", "default.textproto", read("models/default.textproto"))
    write("model_config", "empty.textproto", "")
    write("model_config", "some.textproto",
          "als { dim: 8 alpha: 1.5 lambda: 0.2 iterations: 3 seed: 7 }\n"
          'retrieval { small_factory: "Flat" large_factory: "HNSW16" hnsw_min_items: 10 '
          "exact_max_eligible_fraction: 0.5 candidate_count: 50 }\n"
          "scoring { similarity_weight: 2 popularity_weight: 0 freshness_half_life_days: 30 }\n")
    write("model_config", "out_of_range.textproto", "als { dim: 5000 }\n")


# --- files read by ingest and the server -----------------------------------
MOVIES = ('movieId,title,genres\n'
          '1,Synthetic Film One (2001),Comedy|Drama\n'
          '2,"Two, With Comma (2002)",Horror\n'
          '3,"Quote ""Three"" (2003)",(no genres listed)\n')
RATINGS = ('userId,movieId,rating,timestamp\n'
           '1,1,4.0,964982703\n1,2,0.5,964981247\n2,1,5.0,1100000000\n')
TAGS = ('userId,movieId,tag,timestamp\n'
        '1,2,gore,1445714994\n2,1,  Highly   Quotable ,1200000000\n')


def files():
    write("csv_reader", "movies.csv", MOVIES)
    write("csv_reader", "crlf.csv", "a,b,c\r\n1,\"x\r\ny\",3\r\n\r\n,,\r\n")
    write("csv_reader", "quotes.csv", '"",""""\n"a""b",c\nlast,no,newline')
    write("csv_reader", "unterminated.csv", 'a,"open\n')
    write("csv_reader", "stray_quote.csv", 'a,b"c\n')
    write("labeler_text", "en", "RT @bob: 21 Cats &amp; Dogs!! http://t.co/x")
    write("labeler_text", "zh", "【网友爆料】9月10日 @杂谈五味 http://t.cn/zj 四川人")
    write("labeler_text", "mixed", "Le budget これは 한국어 \u00e9\u00e8 12345")

    write("movielens", "small", MOVIES + "\0" + RATINGS + "\0" + TAGS)
    write("movielens", "header_only",
          "movieId,title,genres\n\0userId,movieId,rating,timestamp\n\0"
          "userId,movieId,tag,timestamp\n")
    write("movielens", "unknown_movie",
          MOVIES + "\0" + RATINGS + "3,9,3.5,1\n\0" + TAGS)
    write("movielens", "bad_rating",
          MOVIES + "\0" + "userId,movieId,rating,timestamp\n1,1,7.5,1\n\0" + TAGS)

    def h(token):
        return hashlib.sha256(token.encode()).hexdigest()
    t1 = "fgv_" + "0" * 64
    t2 = "fgv_" + "1" * 64
    t3 = "fgv_" + "ab" * 32
    write("tokens_file", "roles.txt",
          "# synthetic tokens file\n"
          "%s feed-service feed\n%s editor night-desk\n%s user app-user-1 1\n"
          % (h(t1), h(t2), h(t3)))
    write("tokens_file", "all_roles.txt", "".join(
        "%s %s n%d%s\n" % (h("fgv_%064x" % i), role, i, " 7" if role == "user" else "")
        for i, role in enumerate(["feed-service", "editor", "moderator", "admin", "user"])))
    write("tokens_file", "bad_role.txt", "%s pilot x\n" % h(t1))
    write("tokens_file", "tabs.txt", "\t%s\tadmin\tops@example.org\t# c\r\n" % h(t2))


def jsonl_and_times():
    write("items_jsonl", "good.jsonl",
          '{"itemId": "1", "title": "a", "embedding": [1, 0, 0], '
          '"firstSeenUnixUs": "1700000000000000"}\n'
          '{"item_id": 2, "genres": ["News"], "tags": ["x"], "author": "ap", '
          '"embedding": [0, 1, 0], "labels": [{"name": "bad.vulgar", '
          '"confidence": 0.8, "source": "LABEL_SOURCE_MODEL", '
          '"timeUnixUs": "1700000000000000"}]}\n')
    write("items_jsonl", "bad_rows.jsonl",
          '{"itemId": "3", "embedding": ["NaN", 1]}\n'
          '{"itemId": "4", "embedding": [0, 0]}\n\n'
          '{"itemId": "5", "embedding": [1, 0], "colour": "red"}\n'
          '{"itemId": "6", "embedding": [1, 0\n'
          '{"itemId": "-7", "embedding": [1, 0]}\n'
          '{"itemId": "8", "embedding": [1, 0], "labels": [{"name": "no.such", '
          '"source": "LABEL_SOURCE_REVIEWER"}]}\n'
          '{"itemId": "9", "embedding": [1, 0]}')
    write("items_jsonl", "disagreeing_times.jsonl",
          '{"itemId": "1", "embedding": [1], "firstSeenUnixS": "5", '
          '"firstSeenUnixUs": "7000000"}\n')
    for name, text, zone, bound in [
            ("offset", "2027-01-01T09:00:00+08:00", "", "s"),
            ("zulu", "2027-01-01T09:00:00Z", "UTC", "e"),
            ("local", "2027-01-01T09:00", "Asia/Shanghai", "s"),
            ("date_end", "2027-01-31", "Asia/Shanghai", "e"),
            ("gap", "2027-03-14T02:30", "America/New_York", "s"),
            ("fold", "2027-11-07T01:30", "America/New_York", "e"),
            ("unknown_zone", "2027-01-01", "Mars/Olympus_Mons", "s"),
            ("path_zone", "2027-01-01", "../../etc/passwd", "s"),
            ("fraction", "2027-01-01T09:00:00.5+08:00", "", "s")]:
        write("window_time", name, text + "\0" + zone + "\0" + bound)


# --- wire-format targets ---------------------------------------------------
def page_tokens():
    state = (f_varint(1, 1) + f_bytes(2, "home") + f_varint(3, 42) +
             f_varint(4, 1) + f_varint(5, 1) + f_varint(7, 20) +
             packed(8, [318, 296, 356, 593, 2571]) + f_varint(9, 2) +
             f_varint(10, 1767225600))
    write("page_token", "state_home", state)
    write("page_token", "state_anonymous",
          f_varint(1, 1) + f_bytes(2, "feed") + f_varint(7, 40) +
          packed(8, list(range(1, 41))))
    write("page_token", "state_minors",
          f_varint(1, 1) + f_bytes(2, "minors_zone") + f_varint(6, 1))
    write("page_token", "state_version2", f_varint(1, 2) + f_bytes(2, "home"))
    write("page_token", "empty", b"")
    write("page_token", "not_base64", "!!!not a token!!!")


def requests():
    # byte 0: message (0 Rank, 1 CreateIntervention, 2 UpsertItems,
    # 3 AddTag, 4 ListTags); byte 1: principal (role = b % 5, user = 1 + b >> 3).
    def req(kind, who, body):
        return bytes([kind, who]) + body
    write("request", "rank_anonymous", req(0, 0, f_bytes(1, "home") + f_varint(3, 20)))
    write("request", "rank_user", req(0, 4, f_bytes(1, "home") + f_varint(2, 1) +
                                      f_varint(3, 500) + f_bytes(4, "AAAA")))
    write("request", "rank_other_user", req(0, 4 + 8, f_varint(2, 1)))
    write("request", "rank_zero_user", req(0, 3, f_varint(2, 0)))
    pin = (f_varint(2, 1) + f_varint(3, 318) + f_bytes(5, "home") + f_varint(6, 8) +
           f_bytes(10, "editor's pick") + f_varint(13, 1767225600000000))
    write("request", "pin", req(1, 1, f_bytes(1, pin)))
    boost = f_varint(2, 5) + f_varint(3, 7) + f_double(7, 2.5) + f_bytes(10, "why")
    write("request", "boost", req(1, 1, f_bytes(1, boost)))
    near = f_varint(2, 4) + f_varint(3, 7) + f_double(8, 0.95) + f_bytes(10, "dups")
    write("request", "near_duplicates", req(1, 1, f_bytes(1, near)))
    author = (f_varint(2, 3) + f_bytes(4, "someone") + f_bytes(10, "r") +
              f_varint(13, 1) + f_varint(14, 2))
    write("request", "suppress_author", req(1, 3, f_bytes(1, author)))
    label = f_bytes(1, "bad.vulgar") + f_float(2, 0.7) + f_varint(3, 2) + f_varint(4, 1)
    item = f_varint(1, 9) + f_bytes(2, "title") + f_bytes(7, label)
    write("request", "upsert_labels", req(2, 2, f_bytes(1, item)))
    write("request", "add_tag", req(3, 4, f_varint(1, 1) + f_bytes(2, "space opera")))
    write("request", "add_tag_admin", req(3, 3, f_bytes(2, " ")))
    write("request", "list_tags", req(4, 4, f_varint(2, 10)))


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    text_protos()
    files()
    jsonl_and_times()
    page_tokens()
    requests()
    for target in sorted(os.listdir(CORPUS)):
        print(target, len(os.listdir(os.path.join(CORPUS, target))), "seeds")


if __name__ == "__main__":
    main()
