# Run by the test in the case's copy, after every time was set: metadata
# git cannot carry.
chmod 4755 bin/suid
chmod 2750 dir
chmod 1777 sticky
chown 1000:1000 owned.txt
chmod 600 owned.txt
ln hard1 hard2
touch -d @100 old.txt
touch -d @1500000000.123456789 ns.txt
touch -d @200 dir
rm setup.sh
