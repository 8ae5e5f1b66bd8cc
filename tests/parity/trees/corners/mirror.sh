#!/bin/sh
# Fills the corner-case tree's source mirror from the host: Debian's static
# busybox (package busybox-static) and archives of every kind ADD extracts.
# Hashes are substituted into package.toml by the test (@SHA256:<file>@).
set -eu
m=$1
mkdir -p "$m"
cp /bin/busybox "$m/busybox"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/arc/dir/sub"
printf 'a\n' > "$t/arc/dir/a.txt"
printf 'old\n' > "$t/arc/old.txt"
ln "$t/arc/old.txt" "$t/arc/hard"
ln -s dir/a.txt "$t/arc/link"
chmod 4755 "$t/arc/dir/a.txt"
# Every mtime fixed (the ones below are the archive's test cases), so the
# mirror and the corner digests are the same on every run.
find "$t/arc" -exec touch -h -d @1500 {} +
touch -d @1000 "$t/arc/old.txt"
touch -d @2000 "$t/arc/dir/sub"
tar --sort=name --owner=1000 --group=1000 --numeric-owner -C "$t/arc" -cf "$m/t.tar" .
gzip -9n < "$m/t.tar" > "$m/t.tar.gz"
bzip2 -9 < "$m/t.tar" > "$m/t.tar.bz2"
xz -9 < "$m/t.tar" > "$m/t.tar.xz"
zstd -q -19 < "$m/t.tar" > "$m/t.tar.zst"
printf 'plain file, not an archive\n' > "$m/plain.txt"
