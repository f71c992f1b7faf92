import type { ApiProblem } from '../problem.js';

/** An API problem as the page shows it: its title and detail; for a 403, the scope the key lacks. */
export function ProblemBox({ problem }: { problem: ApiProblem | undefined }) {
  if (!problem) return null;
  return (
    <div class="problem" role="alert">
      <p>
        <strong>{problem.title}</strong>
        {problem.status > 0 && <span class="problem-status"> ({problem.status})</span>}: {problem.detail}
      </p>
      {problem.status === 403 && (
        <p class="problem-hint">
          This key{' '}
          {problem.scope ? (
            <>
              lacks the scope <code>{problem.scope}</code>
            </>
          ) : (
            'may not do this'
          )}
          : sign in with a key that holds it to see this.
        </p>
      )}
    </div>
  );
}
