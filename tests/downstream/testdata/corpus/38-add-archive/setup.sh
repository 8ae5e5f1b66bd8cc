# Run by the test in the case's copy: archives with fixed metadata.
mkdir -p arc/dir
printf 'a\n' > arc/dir/a.txt
printf 'b\n' > arc/b.md
ln -s dir/a.txt arc/link
find arc -exec touch -h -d @1500 {} +
tar --sort=name --owner=1000 --group=1000 --numeric-owner -C arc -cf app.tar .
gzip -9n < app.tar > app.tar.gz
rm -rf arc setup.sh
