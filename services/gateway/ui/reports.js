// The reports tab (정산): the list of daily reports with a chart of net sales by day, and one
// day's report with a chart of sales by hour, its totals, its best sellers and every discrepancy
// the accounting service found. Charts are plain SVG drawn here; no library.
// Uses app.js's `api` (so a lost session is handled once), `won` and `orderNumber` (same page,
// loaded before this file).
'use strict';

(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const DAY_MS = 24 * 3600 * 1000;
  const STATUS_LABELS = {
    pending: '정산 대기',
    reconciled: '정산 완료',
    discrepancies: '불일치',
  };
  const KIND_LABELS = {
    paid_but_not_ordered: '결제됐지만 주문 실패',
    canceled_here_only: '카카오페이 취소 누락',
    canceled_at_kakaopay_only: '카카오페이에서만 취소',
    amount_mismatch: '금액 불일치',
    missing_from_stream: '주문 기록 누락',
    stream_only: '주문 없는 기록',
    inquiry_failed: '카카오페이 조회 실패',
    unsettled: '결제 확인 중',
    other: '기타',
  };
  const ORDER_STATUS_LABELS = {
    approving: '결제 확인 중',
    placed: '접수',
    ready: '완료',
    canceled: '취소',
    failed: '실패',
  };

  const view = { from: '', to: '', list: null, loading: false };

  // ---- small helpers ---------------------------------------------------------------------

  function h(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  function s(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === 'text') node.textContent = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) if (child) node.append(child);
    return node;
  }

  const won = (n) => `${Number(n).toLocaleString('ko-KR')}원`;

  // Axis labels: 12,000 → "1.2만".
  function shortWon(n) {
    if (Math.abs(n) >= 10000) {
      return `${(n / 10000).toLocaleString('ko-KR', { maximumFractionDigits: 1 })}만`;
    }
    return Number(n).toLocaleString('ko-KR');
  }

  function clock(iso) {
    if (!iso) return '';
    return new Date(iso).toLocaleTimeString('ko-KR', {
      hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Seoul',
    });
  }

  // "YYYY-MM-DD" of a date in Korea.
  function kstDate(date) {
    return new Date(date.getTime() + 9 * 3600 * 1000).toISOString().slice(0, 10);
  }

  function addDays(ymd, days) {
    return kstDate(new Date(Date.parse(`${ymd}T00:00:00+09:00`) + days * DAY_MS));
  }

  function shortDate(ymd) {
    const [, m, d] = ymd.split('-');
    return `${Number(m)}/${Number(d)}`;
  }

  const root = () => document.getElementById('reports');

  function show(...nodes) {
    root().replaceChildren(...nodes);
  }

  function errorBox(message) {
    return h('p', { class: 'message error', role: 'alert', text: message });
  }

  // ---- the chart -------------------------------------------------------------------------

  // A bar chart in SVG. `bars` are { label, value, title }; `every` labels one bar in n.
  function barChart({ id, caption, bars, every = 1 }) {
    const width = 720;
    const height = 260;
    const left = 56;
    const right = 12;
    const top = 16;
    const bottom = 36;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const max = Math.max(0, ...bars.map((b) => b.value));
    const step = niceStep(max / 4 || 1);
    const ceiling = Math.max(step * Math.ceil(max / step), step);
    const y = (v) => top + plotH - (v / ceiling) * plotH;
    const slot = plotW / Math.max(bars.length, 1);
    const barW = Math.max(2, Math.min(48, slot * 0.7));

    const grid = [];
    for (let v = 0; v <= ceiling + 1e-9; v += step) {
      grid.push(
        s('line', { class: 'grid', x1: left, x2: width - right, y1: y(v), y2: y(v) }),
        s('text', { class: 'axis', x: left - 8, y: y(v) + 4, 'text-anchor': 'end', text: shortWon(v) }),
      );
    }
    const rects = bars.map((b, i) => {
      const x = left + slot * i + (slot - barW) / 2;
      const barH = Math.max(0, y(0) - y(b.value));
      return s('g', {},
        s('rect', {
          class: b.value > 0 ? 'bar' : 'bar empty',
          x: x.toFixed(1), y: (y(0) - barH).toFixed(1), width: barW.toFixed(1), height: barH.toFixed(1),
          'data-value': b.value, rx: 3,
        }, s('title', { text: b.title })),
        i % every === 0
          ? s('text', { class: 'axis', x: (x + barW / 2).toFixed(1), y: height - bottom + 18, 'text-anchor': 'middle', text: b.label })
          : null);
    });
    const svg = s('svg', {
      viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': caption, class: 'chart-svg',
      preserveAspectRatio: 'xMidYMid meet',
    },
    grid,
    s('line', { class: 'baseline', x1: left, x2: width - right, y1: y(0), y2: y(0) }),
    rects);
    return h('figure', { class: 'chart', id },
      h('figcaption', { text: caption }),
      svg);
  }

  // 1, 2, 5 × 10^n at least `raw`.
  function niceStep(raw) {
    const power = 10 ** Math.floor(Math.log10(raw));
    for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
  }

  // ---- the list --------------------------------------------------------------------------

  async function loadList() {
    if (view.loading) return;
    view.loading = true;
    try {
      const query = view.from && view.to ? `?from=${view.from}&to=${view.to}` : '';
      const list = await api('GET', `/reports${query}`);
      view.list = list;
      view.from = list.from;
      view.to = list.to;
      renderList();
    } catch (error) {
      show(periodForm(), errorBox(error.message));
    } finally {
      view.loading = false;
    }
  }

  function periodForm() {
    const from = h('input', { type: 'date', name: 'from', value: view.from, required: true, 'aria-label': '시작일' });
    const to = h('input', { type: 'date', name: 'to', value: view.to, required: true, 'aria-label': '종료일' });
    return h('form', {
      class: 'reports-period',
      onsubmit: (event) => {
        event.preventDefault();
        view.from = from.value;
        view.to = to.value;
        loadList();
      },
    },
    h('label', {}, '시작일', from),
    h('label', {}, '종료일', to),
    h('button', { type: 'submit', class: 'secondary' }, '조회'),
    exportLinks(from, to));
  }

  // Downloads of the chosen period as CSV for a spreadsheet or the accountant: plain links, so
  // the browser saves the file as it arrives (the session cookie goes along, same site).
  function exportLinks(from, to) {
    const href = (file) => `/api/store/export/${file}?${new URLSearchParams({ from: from.value, to: to.value })}`;
    const link = (id, file, label) => h('a', { id, class: 'export-link', href: href(file), download: '' }, label);
    const orders = link('export-orders', 'orders.csv', '주문 내역 CSV');
    const days = link('export-days', 'days.csv', '일별 합계 CSV');
    for (const input of [from, to]) {
      input.addEventListener('input', () => {
        orders.href = href('orders.csv');
        days.href = href('days.csv');
      });
    }
    return h('div', { class: 'reports-export', title: '엑셀에서 바로 열 수 있습니다 (UTF-8)' }, orders, days);
  }

  // Net sales for every date of the period (days without a closed day are 0).
  function dailyBars(list) {
    const byDate = new Map();
    for (const r of list.reports) {
      if (!r.totals) continue;
      const day = byDate.get(r.business_date) || { net: 0, orders: 0 };
      day.net += r.totals.net;
      day.orders += r.totals.order_count;
      byDate.set(r.business_date, day);
    }
    const bars = [];
    for (let d = list.from; d <= list.to; d = addDays(d, 1)) {
      const day = byDate.get(d) || { net: 0, orders: 0 };
      bars.push({ label: shortDate(d), value: day.net, title: `${d}: 순매출 ${won(day.net)} (주문 ${day.orders}건)` });
    }
    return bars;
  }

  function statusBadge(r) {
    const text = r.status === 'discrepancies'
      ? `불일치 ${r.discrepancy_count}건`
      : STATUS_LABELS[r.status] || r.status;
    return h('span', { class: `report-status ${r.status}`, text });
  }

  function renderList() {
    const list = view.list;
    const reconciled = list.reports.filter((r) => r.totals);
    const sum = (key) => reconciled.reduce((acc, r) => acc + r.totals[key], 0);
    const bars = dailyBars(list);
    const every = Math.max(1, Math.ceil(bars.length / 15));
    const rows = list.reports.map((r) => h('tr', { class: r.status === 'discrepancies' ? 'has-discrepancy' : null },
      h('td', {},
        r.status === 'pending'
          ? r.business_date
          : h('button', {
            type: 'button', class: 'link', 'data-report': r.day_business_id,
            onclick: () => openReport(r.day_business_id),
          }, r.business_date)),
      h('td', {}, statusBadge(r)),
      h('td', { class: 'num', text: r.totals ? `${r.totals.order_count}건` : '–' }),
      h('td', { class: 'num', text: r.totals ? won(r.totals.gross) : '–' }),
      h('td', { class: 'num', text: r.totals ? won(r.totals.canceled) : '–' }),
      h('td', { class: 'num strong', text: r.totals ? won(r.totals.net) : '–' })));
    show(
      periodForm(),
      h('div', { class: 'report-figures' },
        figure('기간 순매출', won(sum('net'))),
        figure('주문', `${sum('order_count')}건`),
        figure('취소', won(sum('canceled')))),
      barChart({ id: 'reports-daily-chart', caption: '일별 순매출', bars, every }),
      list.reports.length === 0
        ? h('p', { class: 'muted', text: '이 기간에 마감한 영업일이 없습니다.' })
        : h('table', { class: 'reports-table' },
          h('thead', {}, h('tr', {},
            ['영업일', '상태'].map((t) => h('th', { text: t })),
            ['주문', '총매출', '취소', '순매출'].map((t) => h('th', { class: 'num', text: t })))),
          h('tbody', {}, rows)),
    );
  }

  function figure(label, value, kind = '') {
    return h('div', { class: `report-figure ${kind}` },
      h('span', { class: 'label', text: label }),
      h('strong', { text: value }));
  }

  // ---- one report ------------------------------------------------------------------------

  async function openReport(dayId) {
    try {
      const report = await api('GET', `/reports/${encodeURIComponent(dayId)}`);
      renderReport(report);
    } catch (error) {
      show(backButton(), errorBox(error.message));
    }
  }

  function backButton() {
    return h('button', { type: 'button', class: 'secondary', id: 'report-back', onclick: () => (view.list ? renderList() : loadList()) }, '← 목록으로');
  }

  // Every hour from opening to closing (and any hour with sales), in Korea.
  function hourlyBars(report) {
    const hourOf = (iso) => (iso ? Number(new Date(iso).toLocaleString('en-US', { hour: 'numeric', hourCycle: 'h23', timeZone: 'Asia/Seoul' })) : null);
    const sold = new Map(report.by_hour.map((hs) => [hs.hour, hs]));
    const hours = [...sold.keys()];
    const opened = hourOf(report.summary.opened_at);
    const closed = hourOf(report.summary.closed_at);
    if (opened !== null) hours.push(opened);
    if (closed !== null && (opened === null || closed >= opened)) hours.push(closed);
    if (hours.length === 0) hours.push(9, 18);
    const first = Math.min(...hours);
    const last = Math.max(...hours);
    const bars = [];
    for (let hour = first; hour <= last; hour += 1) {
      const hs = sold.get(hour) || { amount: 0, order_count: 0 };
      bars.push({ label: `${hour}시`, value: hs.amount, title: `${hour}시: ${won(hs.amount)} (주문 ${hs.order_count}건)` });
    }
    return bars;
  }

  function discrepancyList(report) {
    if (report.discrepancies.length === 0) {
      return h('p', { class: 'message ok', text: '주문 기록, 카카오페이, 영업일 기록이 모두 일치합니다.' });
    }
    return h('section', { class: 'discrepancy-box', 'aria-label': '불일치' },
      h('h3', { text: `불일치 ${report.discrepancies.length}건 — 확인이 필요합니다` }),
      h('ul', {}, report.discrepancies.map((d) => h('li', { class: `discrepancy ${d.kind}` },
        h('span', { class: 'kind', text: KIND_LABELS[d.kind] || d.kind }),
        h('p', { text: d.description }),
        h('p', { class: 'muted small' },
          [
            d.order_id ? `주문 ${orderNumber(d.order_id)}` : null,
            d.our_status ? `우리 상태 ${ORDER_STATUS_LABELS[d.our_status] || d.our_status}` : null,
            d.kakaopay_status ? `카카오페이 ${d.kakaopay_status}` : null,
            d.our_amount ? `주문 금액 ${won(d.our_amount)}` : null,
            d.kakaopay_amount ? `카카오페이 금액 ${won(d.kakaopay_amount)}` : null,
          ].filter(Boolean).join(' · '))))));
  }

  function renderReport(report) {
    const sm = report.summary;
    const t = sm.totals;
    const counts = `완료 ${t.ready_count} · 접수 ${t.placed_count} · 취소 ${t.canceled_count} · 실패 ${t.failed_count}`;
    show(
      backButton(),
      h('div', { class: 'report-head' },
        h('h3', { text: `${sm.business_date} 정산` }),
        statusBadge(sm),
        h('span', { class: 'muted', text: `영업 ${clock(sm.opened_at)} – ${clock(sm.closed_at)}` })),
      discrepancyList(report),
      h('div', { class: 'report-figures' },
        figure('총매출', won(t.gross)),
        figure('취소', won(t.canceled)),
        figure('순매출', won(t.net), 'net'),
        figure('주문', `${t.order_count}건`),
        figure('카카오페이 승인', won(report.kakaopay_approved)),
        figure('카카오페이 취소', won(report.kakaopay_canceled))),
      h('p', { class: 'muted small', text: counts }),
      barChart({ id: 'report-hour-chart', caption: '시간대별 매출', bars: hourlyBars(report) }),
      h('h3', { text: '메뉴별 판매' }),
      report.by_item.length === 0
        ? h('p', { class: 'muted', text: '판매된 메뉴가 없습니다.' })
        : h('table', { class: 'reports-table' },
          h('thead', {}, h('tr', {},
            h('th', { text: '메뉴' }),
            ['수량', '매출'].map((x) => h('th', { class: 'num', text: x })))),
          h('tbody', {}, report.by_item.map((i) => h('tr', {},
            h('td', { text: i.name }),
            h('td', { class: 'num', text: `${i.quantity}개` }),
            h('td', { class: 'num', text: won(i.amount) }))))),
    );
  }

  // ---- wiring ----------------------------------------------------------------------------

  // The tab is shown by app.js; the list loads whenever it becomes visible.
  function watchTab() {
    const panel = document.getElementById('tab-reports');
    if (!panel || !root()) return;
    const visible = () => !panel.hidden;
    new MutationObserver(() => {
      if (visible()) loadList();
    }).observe(panel, { attributes: true, attributeFilter: ['hidden'] });
    if (!view.from) {
      view.to = kstDate(new Date());
      view.from = addDays(view.to, -29);
    }
    if (visible()) loadList();
  }

  watchTab();
})();
