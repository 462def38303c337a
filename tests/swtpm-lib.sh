# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the attest-*.sh cases: a real TPM 2.0 emulator (swtpm)
# in socket mode on a free port, its EK certificate issued by a local CA of
# the test's own (swtpm_setup --create-ek-cert with a private swtpm-localca
# config), stopped on exit.  Source after lib.sh.  Sets TCTI (for vouch and
# tpm2-tools), TPM2TOOLS_TCTI, EKCA (the CA certificates, PEM).
command -v swtpm >/dev/null && command -v swtpm_setup >/dev/null && command -v tpm2_nvread >/dev/null \
	|| fail "swtpm, swtpm-tools or tpm2-tools missing (make deps)"

# swtpm_start NAME: a TPM with its state in $TMPDIR/NAME; sets TCTI, SWTPM_PID.
swtpm_start() {
	st=$TMPDIR/$1; mkdir -p "$st/ca"
	cat >"$st/localca.conf" <<EOC
statedir = $st/ca
signingkey = $st/ca/signkey.pem
issuercert = $st/ca/issuercert.pem
certserial = $st/ca/certserial
EOC
	printf -- '--platform-manufacturer vouch\n--platform-version 1\n--platform-model test\n' >"$st/localca.options"
	cat >"$st/setup.conf" <<EOC
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $st/localca.conf
create_certs_tool_options = $st/localca.options
active_pcr_banks = sha256
EOC
	swtpm_setup --tpm2 --tpmstate "$st" --create-ek-cert --create-platform-cert --lock-nvram \
		--config "$st/setup.conf" --overwrite >"$st/setup.log" 2>&1 \
		|| { cat "$st/setup.log" >&2; fail "swtpm_setup"; }
	port=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	swtpm socket --tpm2 --tpmstate dir="$st" --server type=tcp,port="$port",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear \
		>"$st/swtpm.log" 2>&1 &
	SWTPM_PID=$!
	SWTPM_PIDS="${SWTPM_PIDS:-} $SWTPM_PID"
	TCTI="swtpm:host=127.0.0.1,port=$port"
	export TPM2TOOLS_TCTI=$TCTI
	for _ in $(seq 100); do
		tpm2_getcap properties-fixed >/dev/null 2>&1 && break
		kill -0 "$SWTPM_PID" 2>/dev/null || { cat "$st/swtpm.log" >&2; fail "swtpm exited"; }
		sleep 0.05
	done
	cat "$st/ca/issuercert.pem" "$st/ca/swtpm-localca-rootca-cert.pem" >"$st/ekca.pem" 2>/dev/null \
		|| cp "$st/ca/issuercert.pem" "$st/ekca.pem"
	EKCA=$st/ekca.pem
}
swtpm_stop_all() { for p in ${SWTPM_PIDS:-}; do kill "$p" 2>/dev/null; done; }
