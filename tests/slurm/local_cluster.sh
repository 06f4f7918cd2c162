#!/usr/bin/env bash
# A throwaway single-node SLURM cluster on localhost, for the workflow's SLURM test.
#
#   local_cluster.sh start DIR   install SLURM + munge if missing (apt, as root), configure the
#                                cluster in DIR, start munged, slurmctld and slurmd, wait for the
#                                node to be idle; DIR/pids lists what was started
#   local_cluster.sh stop DIR    cancel leftover jobs, stop exactly the daemons in DIR/pids (by
#                                PID), restore /etc/slurm/slurm.conf
#
# Exit status of start: 0 up; 3 impossible here (not root and no SLURM, or the install failed),
# with the reason on stderr; anything else is a failure.
# How it works: private munge
# socket and key, daemons in the foreground modes as our own children, /etc/slurm/slurm.conf
# linked to our config while the cluster runs (srun inside jobs reads only the default path),
# MinJobAge high enough (2 h) that squeue still knows every job of a slow run when the test checks it.
set -Eeuo pipefail

cmd=${1:?usage: local_cluster.sh start|stop DIR}
W=${2:?usage: local_cluster.sh start|stop DIR}
ETC_CONF=/etc/slurm/slurm.conf
APT_PKGS="slurmctld slurmd slurm-client munge"
log() { printf '[local_cluster %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
impossible() { log "SKIP: $*"; exit 3; }

stop_pid() {  # name pid: TERM, up to 15 s, then KILL
  local name=$1 pid=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || { log "stopped $name ($pid)"; return 0; }
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  log "killed $name ($pid)"
}

stop() {
  set +e
  if [[ -f $W/slurm.conf ]]; then
    local left
    left=$(SLURM_CONF=$W/slurm.conf squeue -h -o %i -t PENDING,RUNNING,SUSPENDED,COMPLETING,CONFIGURING 2>/dev/null | tr '\n' ' ')
    if [[ -n ${left// } ]]; then
      log "cancelling leftover jobs: $left"
      # shellcheck disable=SC2086
      SLURM_CONF=$W/slurm.conf scancel $left 2>/dev/null
      for _ in $(seq 1 40); do
        [[ -z $(SLURM_CONF=$W/slurm.conf squeue -h -o %i -t RUNNING,COMPLETING 2>/dev/null) ]] && break
        sleep 0.5
      done
    fi
  fi
  if [[ -f $W/pids ]]; then
    tac "$W/pids" | while IFS=: read -r name pid; do stop_pid "$name" "$pid"; done
    rm -f "$W/pids"
  fi
  if [[ -L $ETC_CONF && $(readlink "$ETC_CONF") == "$W/slurm.conf" ]]; then
    rm -f "$ETC_CONF"
    [[ -e $W/etc-slurm.conf.orig || -L $W/etc-slurm.conf.orig ]] && mv "$W/etc-slurm.conf.orig" "$ETC_CONF"
  fi
  return 0
}

have_slurm() {
  [[ -x /usr/sbin/slurmctld && -x /usr/sbin/slurmd && -x /usr/sbin/munged ]] && command -v sbatch >/dev/null
}

install_if_missing() {
  have_slurm && return 0
  [[ $(id -u) == 0 ]] || impossible "SLURM is not installed and installing it needs root"
  command -v apt-get >/dev/null || impossible "SLURM is not installed and there is no apt-get"
  log "installing $APT_PKGS"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends $APT_PKGS; } >"$W/apt.log" 2>&1 \
    || { tail -n 5 "$W/apt.log" >&2; impossible "apt-get install $APT_PKGS failed"; }
}

start() {
  mkdir -p "$W"
  chmod 755 "$W"  # munged wants every directory above its socket o+x
  install_if_missing
  [[ $(id -u) == 0 ]] || impossible "the daemons run as SlurmUser=root, which needs root"
  have_slurm || impossible "SLURM or munge is still missing after the install"
  for p in 6817 6818; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then impossible "port $p is in use (another SLURM?)"; fi
  done
  mkdir -p "$W"/{munge-etc,munge-run,state,spool,log}
  chmod 700 "$W/munge-etc"; chmod 755 "$W/munge-run"
  : >"$W/pids"
  trap 'rc=$?; [[ $rc == 0 || $rc == 3 ]] || stop; exit $rc' EXIT

  dd if=/dev/urandom of="$W/munge-etc/munge.key" bs=1024 count=1 status=none
  chmod 400 "$W/munge-etc/munge.key"
  local sock=$W/munge-run/munge.socket
  /usr/sbin/munged -F --socket="$sock" --key-file="$W/munge-etc/munge.key" --log-file="$W/log/munged.log" \
    --pid-file="$W/munge-run/munged.pid" --seed-file="$W/munge-etc/munged.seed" >"$W/log/munged.out" 2>&1 &
  echo "munged:$!" >>"$W/pids"
  for _ in $(seq 1 50); do [[ -S $sock ]] && break; sleep 0.1; done
  munge -S "$sock" -n | unmunge -S "$sock" >/dev/null || { cat "$W/log/munged.out" >&2; exit 1; }

  local node host
  node=$(slurmd -C | head -n1)
  [[ $node == NodeName=* ]] || { log "unexpected 'slurmd -C': $node"; exit 1; }
  host=${node#NodeName=}; host=${host%% *}
  cat >"$W/slurm.conf" <<CONF
# single-node test cluster written by tests/slurm/local_cluster.sh
ClusterName=vtcimagery
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/log/slurmctld.log
SlurmdLogFile=$W/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MinJobAge=7200
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
Waittime=0
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$W/slurm.conf
  mkdir -p /etc/slurm
  if [[ -e $ETC_CONF || -L $ETC_CONF ]]; then mv "$ETC_CONF" "$W/etc-slurm.conf.orig"; fi
  ln -s "$W/slurm.conf" "$ETC_CONF"

  /usr/sbin/slurmctld -D -f "$W/slurm.conf" >"$W/log/slurmctld.out" 2>&1 &
  echo "slurmctld:$!" >>"$W/pids"
  for _ in $(seq 1 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.1; done
  /usr/sbin/slurmd -D -f "$W/slurm.conf" >"$W/log/slurmd.out" 2>&1 &
  echo "slurmd:$!" >>"$W/pids"
  local state=""
  for _ in $(seq 1 120); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    [[ $state == idle ]] && break
    sleep 0.5
  done
  [[ $state == idle ]] || { tail -n 20 "$W/log/slurmctld.log" "$W/log/slurmd.log" >&2; log "node is '$state'"; exit 1; }
  log "cluster up: node $host idle, SLURM_CONF=$W/slurm.conf ($(slurmd -V))"
  trap - EXIT
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) echo "usage: local_cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
