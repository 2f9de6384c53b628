// Each program's option string and usage text, byte for byte as OpenSSH 10.5 prints them (the usage() functions of
// ssh.c, sshd.c, sftp-server.c, sftp.c, scp.c, ssh-keygen.c, ssh-agent.c, ssh-add.c, ssh-keyscan.c, contrib/ssh-copy-id).
import { VERSION_LINE } from "../core/version.ts";

/** getopt(3) option strings, as in OpenSSH's sources. */
export const OPTSTRINGS = {
  ssh: "1246ACGKMNTVXYZafgknqstvxyB:D:E:F:I:J:L:O:P:Q:R:S:W:b:c:e:i:l:m:o:p:w:", // ssh.c
  sshd: "C:E:b:c:f:g:h:k:o:p:u:46DGQRTdeiqrtV", // sshd.c
  "sftp-server": "d:f:l:P:p:Q:u:cehR", // sftp-server.c
  sftp: "1246AafhNpqrvCc:D:i:l:o:s:S:b:B:F:J:P:R:X:", // sftp.c
  scp: "12346ABCTdfOpqRrstvD:F:J:M:P:S:c:i:l:o:X:", // scp.c
  "ssh-keygen": "ABHKLQUXceghiklopquvyC:D:E:F:I:M:N:O:P:R:V:Y:Z:a:b:f:g:m:n:r:s:t:w:z:", // ssh-keygen.c
  "ssh-agent": "cDdksTuUVE:a:O:P:t:", // ssh-agent.c
  "ssh-add": "vkKlLNCcdDTxXE:e:h:H:M:m:Qqs:S:t:", // ssh-add.c
  "ssh-keyscan": "cDHqv46O:p:T:t:f:", // ssh-keyscan.c
  "ssh-copy-id": "i:o:p:F:t:fnsxh?", // contrib/ssh-copy-id (its -i value is optional there; see ssh-copy-id.ts)
} as const;

export type ProgramName = keyof typeof OPTSTRINGS;

/** The usage text each program prints on stderr after a bad option, `progname` being how it was invoked. */
export function usageText(program: ProgramName, progname: string): string {
  switch (program) {
    case "ssh":
      return (
        "usage: ssh [-46AaCfGgKkMNnqsTtVvXxYyZ] [-B bind_interface] [-b bind_address]\n" +
        "           [-c cipher_spec] [-D [bind_address:]port] [-E log_file]\n" +
        "           [-e escape_char] [-F configfile] [-I pkcs11] [-i identity_file]\n" +
        "           [-J destination] [-L address] [-l login_name] [-m mac_spec]\n" +
        "           [-O ctl_cmd] [-o option] [-P tag] [-p port] [-R address]\n" +
        "           [-S ctl_path] [-W host:port] [-w local_tun[:remote_tun]]\n" +
        "           destination [command [argument ...]]\n" +
        "       ssh [-Q query_option]\n"
      );
    case "sshd":
      return (
        `${VERSION_LINE}\n` +
        "usage: sshd [-46DdeGiqTtV] [-C connection_spec] [-c host_cert_file]\n" +
        "            [-E log_file] [-f config_file] [-g login_grace_time]\n" +
        "            [-h host_key_file] [-o option] [-p port] [-u len]\n"
      );
    case "sftp-server":
      return (
        `usage: ${progname} [-ehR] [-d start_directory] [-f log_facility] [-l log_level]\n` +
        "\t[-P denied_requests] [-p allowed_requests] [-u umask]\n" +
        `       ${progname} -Q protocol_feature\n`
      );
    case "sftp":
      return (
        `usage: ${progname} [-46AaCfNpqrv] [-B buffer_size] [-b batchfile] [-c cipher]\n` +
        "          [-D sftp_server_command] [-F ssh_config] [-i identity_file]\n" +
        "          [-J destination] [-l limit] [-o ssh_option] [-P port]\n" +
        "          [-R num_requests] [-S program] [-s subsystem | sftp_server]\n" +
        "          [-X sftp_option] destination\n"
      );
    case "scp":
      return (
        "usage: scp [-346ABCOpqRrsTv] [-c cipher] [-D sftp_server_path] [-F ssh_config]\n" +
        "           [-i identity_file] [-J destination] [-l limit] [-o ssh_option]\n" +
        "           [-P port] [-S program] [-X sftp_option] source ... target\n"
      );
    case "ssh-keygen":
      return (
        "usage: ssh-keygen [-q] [-a rounds] [-b bits] [-C comment] [-f output_keyfile]\n" +
        "                  [-m format] [-N new_passphrase] [-O option]\n" +
        "                  [-t ecdsa|ecdsa-sk|ed25519|ed25519-sk|mldsa44-ed25519|rsa]\n" +
        "                  [-w provider] [-Z cipher]\n" +
        "       ssh-keygen -p [-a rounds] [-f keyfile] [-m format] [-N new_passphrase]\n" +
        "                   [-P old_passphrase] [-Z cipher]\n" +
        "       ssh-keygen -i [-f input_keyfile] [-m key_format]\n" +
        "       ssh-keygen -e [-f input_keyfile] [-m key_format]\n" +
        "       ssh-keygen -y [-f input_keyfile]\n" +
        "       ssh-keygen -c [-a rounds] [-C comment] [-f keyfile] [-P passphrase]\n" +
        "       ssh-keygen -l [-v] [-E fingerprint_hash] [-f input_keyfile]\n" +
        "       ssh-keygen -B [-f input_keyfile]\n" +
        "       ssh-keygen -F hostname [-lv] [-f known_hosts_file]\n" +
        "       ssh-keygen -H [-f known_hosts_file]\n" +
        "       ssh-keygen -K [-a rounds] [-w provider]\n" +
        "       ssh-keygen -R hostname [-f known_hosts_file]\n" +
        "       ssh-keygen -r hostname [-g] [-f input_keyfile]\n" +
        "       ssh-keygen -M generate [-O option] output_file\n" +
        "       ssh-keygen -M screen [-f input_file] [-O option] output_file\n" +
        "       ssh-keygen -I certificate_identity -s ca_key [-hU] [-D pkcs11_provider]\n" +
        "                  [-n principals] [-O option] [-V validity_interval]\n" +
        "                  [-z serial_number] file ...\n" +
        "       ssh-keygen -L [-f input_keyfile]\n" +
        "       ssh-keygen -A [-a rounds] [-f prefix_path]\n" +
        "       ssh-keygen -k -f krl_file [-u] [-s ca_public] [-z version_number]\n" +
        "                  file ...\n" +
        "       ssh-keygen -Q [-l] -f krl_file [file ...]\n" +
        "       ssh-keygen -Y find-principals -s signature_file -f allowed_signers_file\n" +
        "       ssh-keygen -Y match-principals -I signer_identity -f allowed_signers_file\n" +
        "       ssh-keygen -Y check-novalidate -n namespace -s signature_file\n" +
        "       ssh-keygen -Y sign -f key_file -n namespace file [-O option] ...\n" +
        "       ssh-keygen -Y verify -f allowed_signers_file -I signer_identity\n" +
        "                  -n namespace -s signature_file [-r krl_file] [-O option]\n"
      );
    case "ssh-agent":
      return (
        "usage: ssh-agent [-c | -s] [-DdTU] [-a bind_address] [-E fingerprint_hash]\n" +
        "                 [-O option] [-P allowed_providers] [-t life]\n" +
        "       ssh-agent [-TU] [-a bind_address] [-E fingerprint_hash] [-O option]\n" +
        "                 [-P allowed_providers] [-t life] command [arg ...]\n" +
        "       ssh-agent [-c | -s] -k\n" +
        "       ssh-agent -u\n" +
        "       ssh-agent -V\n"
      );
    case "ssh-add":
      return (
        "usage: ssh-add [-CcDdKkLlqvXx] [-E fingerprint_hash] [-H hostkey_file]\n" +
        "               [-h destination_constraint] [-S provider] [-t life]\n" +
        "               [file ...]\n" +
        "       ssh-add -s pkcs11 [-Cv] [certificate ...]\n" +
        "       ssh-add -e pkcs11\n" +
        "       ssh-add -T pubkey ...\n"
      );
    case "ssh-keyscan":
      return (
        "usage: ssh-keyscan [-46cDHqv] [-f file] [-O option] [-p port] [-T timeout]\n" +
        "                   [-t type] [host | addrlist namelist]\n"
      );
    case "ssh-copy-id":
      return (
        `Usage: ${progname} [-h|-?|-f|-n|-s|-x] [-i [identity_file]] [-t target_path] [-F ssh_config] [[-o ssh_option] ...] [-p port] [user@]hostname\n` +
        "\t-f: force mode -- copy keys without trying to check if they are already installed\n" +
        "\t-n: dry run    -- no keys are actually copied\n" +
        "\t-s: use sftp   -- use sftp instead of executing remote-commands. Can be useful if the remote only allows sftp\n" +
        "\t-x: debug      -- enables -x in this shell, for debugging\n" +
        "\t-h|-?: print this help\n"
      );
  }
}

/** Exit status after a usage error: ssh exits 255 (ssh.c usage()), the others 1. */
export function usageExitCode(program: ProgramName): number {
  return program === "ssh" ? 255 : 1;
}
