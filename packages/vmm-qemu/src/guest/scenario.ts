/**
 * Shell helpers for scenario scripts run by the test guest's /init (busybox sh). Each check
 * reports one console line `@@sandbox result name=<n> status=<ok|fail|nxdomain> ...`, which
 * `QemuVm.results()` collects. Used by the VM end-to-end suites, bench/vm and `sandbox demo`.
 */
export const SCENARIO_LIB = String.raw`
check_http() {
  out=$(curl -sS --connect-timeout 3 -m 5 -o /tmp/body -w '%{http_code}' "$2" 2>&1); rc=$?
  if [ $rc = 0 ]; then result "$1" ok code=$out body=$(head -c 40 /tmp/body | tr -c 'a-zA-Z0-9.-' _); else result "$1" fail rc=$rc; fi
}
check_dns() {
  out=$(nslookup "$2" 2>&1)
  case "$out" in
    *NXDOMAIN*) result "$1" nxdomain ;;
    *Name:*) result "$1" ok addr=$(echo "$out" | sed -n '/^Name:/,$p' | awk '/^Address/ {print $NF; exit}') ;;
    *) result "$1" fail out=$(echo "$out" | tr -c 'a-zA-Z0-9.:' _ | head -c 80) ;;
  esac
}
check_tcp() {
  if echo x | nc -w 3 "$2" "$3" >/tmp/nc.out 2>&1; then result "$1" ok out=$(head -c 40 /tmp/nc.out | tr -c 'a-zA-Z0-9.-' _); else result "$1" fail; fi
}
`;
