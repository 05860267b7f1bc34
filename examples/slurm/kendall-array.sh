#!/usr/bin/env bash
# A kendall simulation (or simulated sweep) split across a Slurm job array: each array
# task runs one shard of the replications and writes its partial; one `kendall merge`
# then gives the report of the whole run, bit for bit the same as in one process.
#
# Submit unchanged (the array size is the number of shards; any size works):
#
#   sbatch --array=1-16 examples/slurm/kendall-array.sh simulate examples/payments.toml --replications 256
#   sbatch --array=1-16 examples/slurm/kendall-array.sh sweep examples/payments.toml --simulate --from 0.5 --to 1.1
#
# then, when every task has finished (or chained: sbatch --dependency=afterok:<job id>):
#
#   kendall merge kendall-parts/<job id>/*.kpart
#
# Every task writes kendall-parts/<job id>/part-<k>-of-<n>.kpart in the submission
# directory (a shared file system). Replication i is seeded from (seed, i) alone, so a
# task that fails can simply be resubmitted (sbatch --array=<k> ...): its partial is the
# same. `kendall` must be on the PATH of the compute nodes (cargo install --path .), or
# set KENDALL to its path.
#SBATCH --job-name=kendall
#SBATCH --array=1-8
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
#SBATCH --output=kendall-%A_%a.log
set -euo pipefail

verb=${1:?usage: kendall-array.sh simulate|sweep SCENARIO [options...]}
shift
k=${SLURM_ARRAY_TASK_ID:?run this script with sbatch --array=1-N}
n=${SLURM_ARRAY_TASK_COUNT:?run this script with sbatch --array=1-N}
job=${SLURM_ARRAY_JOB_ID:-local}
out="${SLURM_SUBMIT_DIR:-.}/kendall-parts/$job"
mkdir -p "$out"
# One rayon thread per allocated CPU.
export RAYON_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
"${KENDALL:-kendall}" "$verb" "$@" --shard "$k/$n" --out "$out/part-$k-of-$n.kpart"
