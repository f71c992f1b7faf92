import { useState } from 'preact/hooks';
import { useApi } from '../api.js';
import type { JobView } from '../api-types.js';
import { ProblemBox } from '../components/problem-box.js';
import { isFinished } from '../components/status-badge.js';
import { asProblem, type ApiProblem } from '../problem.js';

type Action = 'cancel' | 'pause' | 'resume';

/** Cancel, pause and resume, as the job's state allows; the API's answer replaces the job shown. */
export function JobControls({ job, onChange }: { job: JobView; onChange: (job: JobView) => void }) {
  const api = useApi();
  const [busy, setBusy] = useState<Action | null>(null);
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  if (isFinished(job.status)) return null;

  const act = async (action: Action) => {
    if (
      action === 'cancel' &&
      !window.confirm(`Cancel ${job.name || job.id}? A cancelled job keeps no model.`)
    )
      return;
    setBusy(action);
    setProblem(undefined);
    try {
      onChange(await api.send<JobView>('POST', `/v1/jobs/${job.id}/${action}`));
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(null);
    }
  };
  const pausing = job.status === 'paused' || job.pauseRequested;
  return (
    <div class="controls">
      {pausing ? (
        <button type="button" disabled={busy !== null} onClick={() => void act('resume')}>
          Resume
        </button>
      ) : (
        <button
          type="button"
          disabled={busy !== null || job.cancelRequested}
          onClick={() => void act('pause')}
        >
          Pause
        </button>
      )}
      <button
        type="button"
        class="danger"
        disabled={busy !== null || job.cancelRequested}
        onClick={() => void act('cancel')}
      >
        {job.cancelRequested ? 'Cancelling…' : 'Cancel'}
      </button>
      <ProblemBox problem={problem} />
    </div>
  );
}
