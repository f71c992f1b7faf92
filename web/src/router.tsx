import type { AnchorHTMLAttributes, TargetedMouseEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** Where the page is served: every route is under it. */
export const BASE = '/ui/';

/** A view of the page and its argument: `/ui/jobs/job_1` is `{view: 'jobs', id: 'job_1'}`. */
export interface Route {
  view: string;
  id: string | undefined;
  query: URLSearchParams;
}

const CHANGE = 'finetuned:navigate';

function current(): Route {
  const rest = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
  const [view = '', id] = rest.split('/').filter(Boolean).map(decodeURIComponent);
  return { view: view || 'jobs', id, query: new URLSearchParams(location.search) };
}

/** The page's address under /ui/: `href('jobs', id)`, with an optional query. */
export function href(view: string, id?: string, query?: Record<string, string>): string {
  const path = `${BASE}${view}${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
  const search = query ? new URLSearchParams(query).toString() : '';
  return search ? `${path}?${search}` : path;
}

/** Goes to another view without reloading the page. */
export function navigate(to: string, { replace = false } = {}): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
  window.scrollTo(0, 0);
}

/** The current route, following links, the back and forward buttons. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return route;
}

/** A link within the page: a real <a> (keyboard, new tab), followed without a reload on a plain click. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const onClick = (event: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(props.href);
  };
  return <a {...props} onClick={onClick} />;
}
