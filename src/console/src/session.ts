// The officer's token lives in this tab's session storage only: never in a URL query (where
// logs and the history keep it). A link from `deconflict demo --serve` carries it in the URL
// fragment (#token=...), which the browser never sends to the server; it is moved into session
// storage and wiped from the address bar at once.

const TokenKey = 'deconflict.token';
const NoticeKey = 'deconflict.sign-in-notice';

export function takeTokenFromFragment(): void {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = fragment.get('token');
  if (token) {
    sessionStorage.setItem(TokenKey, token);
    history.replaceState(null, '', location.pathname + location.search);
  }
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TokenKey);
}

export function keepToken(token: string): void {
  sessionStorage.setItem(TokenKey, token);
}

/** Forgets the token and shows sign-in again, with `notice` (why) if given. */
export function signOut(notice?: string): void {
  sessionStorage.removeItem(TokenKey);
  if (notice) {
    sessionStorage.setItem(NoticeKey, notice);
  }
  location.reload();
}

export function takeNotice(): string | null {
  const notice = sessionStorage.getItem(NoticeKey);
  sessionStorage.removeItem(NoticeKey);
  return notice;
}
