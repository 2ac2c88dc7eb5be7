/**
 * The public pages: one script for every stable URL (`/`, `/brands/:id`, `/regions/:code`). It builds the page from
 * the public JSON routes (and, for a signed-in bureau, the authenticated ones); ECharts loads only on the pages
 * that draw charts. `document.documentElement.dataset.ready` is set once a page is complete (data shown, charts
 * drawn): what the browser tests and the timing measurement wait for.
 */
import { ApiError, getJson, type Me } from './api';
import { clear, h } from './dom';
import { applyLanguage, lang, switchLanguage, t } from './i18n';
import { renderBrand } from './pages/brand';
import { markInteractive } from './pages/common';
import { renderDirectory } from './pages/directory';
import { renderRegion } from './pages/region';
import { forget, remember, signedInAs } from './session';

performance.mark('lb-script');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A language asked for in the URL is a choice like the switch's: remembered for the next pages.
const asked = new URLSearchParams(location.search).get('lang');
if (asked === 'en' || asked === 'zh') {
  try {
    localStorage.setItem('lb.lang', asked);
  } catch {
    // storage refused: the URL's choice still holds for this page
  }
}

function header(rerender: () => void): HTMLElement {
  const me = signedInAs();
  const dialog = signInDialog(rerender);
  const account = me
    ? h('div', { className: 'account' }, h('span', { className: 'who' }, t('signedInAs', { name: `${me.name}(${t(`kind_${me.kind}` as 'kind_bureau')})` })), ' ',
        h('button', { type: 'button', className: 'link-button', id: 'sign-out', onclick: () => signOut(rerender) }, t('signOut')))
    : h('button', { type: 'button', className: 'link-button', id: 'sign-in', onclick: () => dialog.showModal() }, t('signIn'));
  return h(
    'header',
    { className: 'site-header' },
    h(
      'div',
      { className: 'bar' },
      h('a', { className: 'site-name', href: '/' }, h('span', { className: 'mark', 'aria-hidden': 'true' }), h('span', {}, t('siteTitle')), h('small', {}, t('siteSubtitle'))),
      h('nav', { 'aria-label': t('siteTitle') }, h('a', { href: '/' }, t('navDirectory')), h('a', { href: '/regions/100000' }, t('navNation'))),
      h(
        'div',
        { className: 'tools' },
        h('button', { type: 'button', className: 'lang-switch', id: 'lang-switch', lang: lang === 'zh' ? 'en' : 'zh-CN', onclick: () => { switchLanguage(); rerender(); } }, t('switchLanguage')),
        account,
      ),
    ),
    dialog,
  );
}

/** Forgets the key; a page only the key could show (a brand not public yet) gives way to the directory. */
function signOut(rerender: () => void): void {
  forget();
  if (document.documentElement.dataset.private) location.assign('/');
  else rerender();
}

function signInDialog(rerender: () => void): HTMLDialogElement {
  const input = h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, className: 'wide' });
  const error = h('p', { className: 'error', role: 'alert' });
  const dialog = h('dialog', { id: 'sign-in-dialog', 'aria-labelledby': 'sign-in-title' });
  const form = h(
    'form',
    {
      method: 'post',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const key = input.value.trim();
        clear(error);
        try {
          const me = await getJson<Me>('/v1/me', { key });
          remember(key, me);
          dialog.close();
          rerender();
        } catch (err) {
          error.textContent = err instanceof ApiError && err.status === 401 ? t('signInFailed') : t('loadFailed');
        }
      },
    },
    h('h2', { id: 'sign-in-title' }, t('signInTitle')),
    h('p', {}, t('signInHelp')),
    h('label', { for: 'api-key' }, t('apiKey')),
    input,
    error,
    h('div', { className: 'actions' }, h('button', { type: 'submit', className: 'primary' }, t('submitSignIn')), h('button', { type: 'button', onclick: () => dialog.close() }, t('cancel'))),
  );
  dialog.appendChild(form);
  return dialog;
}

function footer(): HTMLElement {
  return h('footer', { className: 'site-footer' }, h('p', {}, t('siteTitle'), ' · ', h('a', { href: '/docs' }, 'API')));
}

export function notFoundPage(main: HTMLElement): void {
  document.title = `${t('notFoundTitle')} · ${t('siteTitle')}`;
  main.append(h('h1', {}, t('notFoundTitle')), h('p', {}, t('notFound')), h('p', {}, h('a', { href: '/' }, t('backToDirectory'))));
}

async function route(main: HTMLElement): Promise<void> {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const brand = /^\/brands\/([^/]+)$/.exec(path);
  const region = /^\/regions\/(\d{6})$/.exec(path);
  if (path === '/') return renderDirectory(main);
  if (brand && UUID.test(brand[1])) return renderBrand(main, brand[1].toLowerCase());
  if (region) return renderRegion(main, region[1]);
  notFoundPage(main);
}

let generation = 0;

async function render(): Promise<void> {
  const mine = ++generation;
  delete document.documentElement.dataset.ready;
  delete document.documentElement.dataset.interactive;
  delete document.documentElement.dataset.private;
  applyLanguage();
  const app = document.getElementById('app') as HTMLElement;
  const main = h('main', { id: 'main', tabindex: '-1' });
  clear(app);
  app.append(h('a', { className: 'skip-link', href: '#main' }, t('skipToContent')), header(() => void render()), main, footer());
  try {
    await route(main);
  } catch (err) {
    if (mine !== generation) return;
    clear(main);
    if (err instanceof ApiError && err.status === 404) notFoundPage(main);
    else main.append(h('p', { className: 'error', role: 'alert' }, t('loadFailed')));
  }
  if (mine !== generation) return;
  markInteractive();
  performance.mark('lb-ready');
  document.documentElement.dataset.ready = String(mine);
}

void render();
