import { useState } from 'preact/hooks';
import type { TargetedSubmitEvent } from 'preact';
import { ProblemBox } from '../components/problem-box.js';
import { ApiProblem, asProblem } from '../problem.js';

/**
 * Whether the API takes a key: any /v1 route checks the key before the scope, so a 403 is a good key without the
 * scope of that route (it is signed in, and sees what its scopes allow), a 401 a key that is not valid.
 */
async function checkKey(key: string): Promise<ApiProblem | undefined> {
  const response = await fetch('/v1/jobs?limit=1', { headers: { authorization: `Bearer ${key}` } });
  if (response.ok || response.status === 403) return undefined;
  return ApiProblem.from(response);
}

/** Sign-in with an API key. `notice` is why the page signed out (a 401 elsewhere), shown until the next try. */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (key: string) => void; notice?: ApiProblem }) {
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<ApiProblem | undefined>(notice);
  const [busy, setBusy] = useState(false);

  const submit = async (event: TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const given = key.trim();
    if (!given) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const refused = await checkKey(given);
      if (refused) setProblem(refused);
      else onSignedIn(given);
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>finetuned</h1>
      <p>
        Sign in with an API key. It is kept in this tab only (session storage) and sent in the Authorization
        header.
      </p>
      <form onSubmit={(event) => void submit(event)}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      <ProblemBox problem={problem} />
    </main>
  );
}
