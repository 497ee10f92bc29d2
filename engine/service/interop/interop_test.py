#!/usr/bin/python3
"""Interoperability: Python grpcio (a client feedgov does not implement)
calls a running `feedgov serve` -- FeedService.Rank,
EditorService.CreateIntervention / ListInterventions and UserControlService
(switch-off, tag deletion, why, about) -- and checks the
answers, plus UNAUTHENTICATED without a token and PERMISSION_DENIED for a
wrong role.

Also: the bearer scheme in any case, an undecodable request (invalid
UTF-8 sent as raw bytes) answered INVALID_ARGUMENT naming the field, the
health service per service name, and label times in microseconds.

Usage (ctest runs this): interop_test.py FEEDGOV_BINARY PROTO_DIR WORK_DIR DATA_DIR
Stubs are generated into WORK_DIR at test time by
`python3 -m grpc_tools.protoc` (Debian python3-grpc-tools, the path
docs/api.md gives clients); must run under /usr/bin/python3 (Debian
python3-grpcio, python3-protobuf, python3-grpc-tools).
"""
import os
import shutil
import signal
import subprocess
import sys
import time


def main():
    feedgov, proto_dir, work, data = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    gen = os.path.join(work, "gen")
    os.makedirs(gen)
    protos = [os.path.join("feedgov/v1", p) for p in sorted(os.listdir(
        os.path.join(proto_dir, "feedgov/v1"))) if p.endswith(".proto")]
    # Debian's python3-grpc-tools bundles protoc 3.5 (no proto3 `optional`:
    # the protos use one-field oneofs instead, so every .proto compiles).
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + proto_dir,
                    "--python_out=" + gen, "--grpc_python_out=" + gen]
                   + protos, check=True)
    sys.path.insert(0, gen)
    import grpc
    from feedgov.v1 import editor_service_pb2 as ed
    from feedgov.v1 import editor_service_pb2_grpc as ed_grpc
    from feedgov.v1 import feed_service_pb2 as fs
    from feedgov.v1 import feed_service_pb2_grpc as fs_grpc
    from feedgov.v1 import user_control_service_pb2 as uc
    from feedgov.v1 import user_control_service_pb2_grpc as uc_grpc

    snap = os.path.join(work, "snap")
    subprocess.run([feedgov, "ingest", "--data", data, "--out", snap],
                   check=True, stdout=subprocess.DEVNULL)
    tokens = os.path.join(work, "tokens.txt")

    def token(role, *extra):
        out = subprocess.run([feedgov, "token", "add", "--tokens", tokens,
                              "--role", role] + list(extra),
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    feed_tok = token("feed-service")
    editor_tok = token("editor", "--name", "py-editor")
    user_tok = token("user", "--user", "1")
    server = subprocess.Popen(
        [feedgov, "serve", "--snapshot", snap, "--state-dir",
         os.path.join(work, "state"), "--tokens", tokens, "--listen",
         "127.0.0.1:0", "--threads", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("listening on "), line
        addr = line.split()[2]
        channel = grpc.insecure_channel(addr)
        grpc.channel_ready_future(channel).result(timeout=10)
        feed = fs_grpc.FeedServiceStub(channel)
        editor = ed_grpc.EditorServiceStub(channel)

        def auth(tok):
            return (("authorization", "Bearer " + tok),)

        page = feed.Rank(fs.RankRequest(surface="home", user_id=1, page_size=10),
                         metadata=auth(feed_tok))
        assert len(page.items) == 10, page
        assert [i.position for i in page.items] == list(range(1, 11))
        assert page.personalized and page.policy_id == "cn-ecology"
        assert [i.key_slot for i in page.items] == [True] * 6 + [False] * 4
        assert all(i.reasons for i in page.items)

        made = editor.CreateIntervention(ed.CreateInterventionRequest(
            intervention=ed.Intervention(kind=ed.INTERVENTION_KIND_PIN,
                                         item_id=318, position=2, surface="home",
                                         reason="interop pin")),
            metadata=auth(editor_tok))
        assert made.id.startswith("iv-") and made.editor == "py-editor", made
        listed = editor.ListInterventions(ed.ListInterventionsRequest(),
                                          metadata=auth(editor_tok))
        assert [iv.id for iv in listed.interventions] == [made.id]
        page = feed.Rank(fs.RankRequest(surface="home", user_id=1, page_size=5),
                         metadata=auth(feed_tok))
        assert page.items[1].item_id == 318 and "EDITOR_PIN" in page.items[1].reasons
        # A pinned item's score is 0 (docs/api.md); ranked items' are not.
        assert page.items[1].score == 0.0 and page.items[0].score > 0.0, page

        # The scheme is case-insensitive (RFC 7235).
        lower = (("authorization", "bearer " + feed_tok),)
        assert len(feed.Rank(fs.RankRequest(surface="home", page_size=3),
                             metadata=lower).items) == 3

        # Label times: microseconds, the deprecated seconds filled too.
        labels = [l for i in page.items for l in i.labels]
        assert labels, page
        for l in labels:
            assert l.time_unix_us == l.time_unix_s * 1000000, l

        # Bytes a client's encoder got wrong: invalid UTF-8 in `surface`.
        raw = channel.unary_unary("/feedgov.v1.FeedService/Rank",
                                  request_serializer=None,
                                  response_deserializer=None)
        try:
            raw(b"\x0a\x04ho\xffe\x18\x05", metadata=auth(feed_tok))
            raise AssertionError("invalid UTF-8 accepted")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
            assert "`surface` (feedgov.v1.RankRequest.surface)" in e.details(), e

        # Health per service name ("" = the server).
        health = channel.unary_unary("/grpc.health.v1.Health/Check",
                                     request_serializer=None,
                                     response_deserializer=None)

        def check(name):
            data = name.encode()
            return health(b"\x0a" + bytes([len(data)]) + data if data else b"")
        assert check("") == b"\x08\x01"  # SERVING
        assert check("feedgov.v1.FeedService") == b"\x08\x01"
        try:
            check("feedgov.v1.Nope")
            raise AssertionError("unknown service name answered")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.NOT_FOUND, e

        # UserControlService: user 1 switches personalization off and
        # deletes a tag with its own token; the feed service's next Rank for
        # user 1 is non-personalized and equals user 414's non-personalized
        # page.
        users = uc_grpc.UserControlServiceStub(channel)
        stored = users.SetSettings(uc.SetSettingsRequest(personalization=False),
                                   metadata=auth(user_tok))
        assert stored.user_id == 1 and not stored.personalization, stored
        tags = users.DeleteTag(uc.DeleteTagRequest(tag="Action"),
                               metadata=auth(user_tok))
        assert "action" in tags.deleted_tags
        assert "action" not in [t.tag for t in tags.tags]
        off = feed.Rank(fs.RankRequest(surface="home", user_id=1, page_size=10),
                        metadata=auth(feed_tok))
        other = feed.Rank(fs.RankRequest(surface="home", user_id=414, page_size=10,
                                         disable_personalization=True),
                          metadata=auth(feed_tok))
        assert not off.personalized
        assert [i.item_id for i in off.items] == [i.item_id for i in other.items]
        why = users.Why(uc.WhyRequest(item_id=off.items[0].item_id),
                        metadata=auth(user_tok))
        assert why.sentence.endswith(".") and "NON_PERSONALIZED" in why.reasons, why
        about = users.AboutFeed(uc.AboutFeedRequest(), metadata=auth(user_tok))
        assert "non-profiling option is ON" in about.text and not about.personalization

        for call, md, want in [
            (lambda md: users.GetSettings(uc.GetSettingsRequest(user_id=2),
                                          metadata=md), auth(user_tok),
             grpc.StatusCode.PERMISSION_DENIED),
            (lambda md: users.GetSettings(uc.GetSettingsRequest(user_id=1),
                                          metadata=md), auth(feed_tok),
             grpc.StatusCode.PERMISSION_DENIED),
            (lambda md: feed.Rank(fs.RankRequest(surface="home", page_size=5),
                                  metadata=md), (), grpc.StatusCode.UNAUTHENTICATED),
            (lambda md: editor.ListInterventions(ed.ListInterventionsRequest(),
                                                 metadata=md),
             auth(feed_tok), grpc.StatusCode.PERMISSION_DENIED),
            (lambda md: feed.Rank(fs.RankRequest(surface="hom", page_size=5),
                                  metadata=md), auth(feed_tok),
             grpc.StatusCode.INVALID_ARGUMENT),
        ]:
            try:
                call(md)
                raise AssertionError("expected %s" % want)
            except grpc.RpcError as e:
                assert e.code() == want, (e.code(), e.details())
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            rc = server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
        err = server.stderr.read()
    assert rc == 0, "serve exited %d: %s" % (rc, err)
    assert "rpc=FeedService.Rank role=feed-service code=OK" in err, err
    assert "kind=invalid_utf8 error=invalid UTF-8 in request field `surface`" in err, err
    print("interop OK")


if __name__ == "__main__":
    main()
