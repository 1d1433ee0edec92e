// revlens dashboard: a single page over the JSON API (/api/<page>), charts with ECharts (embedded, no CDN).
'use strict';

const PAGES = ['overview', 'icp', 'leads', 'competitive', 'activity', 'health'];
const FILTERS = ['pipeline', 'team', 'owner', 'period'];
const state = { page: 'overview', filters: { pipeline: '', team: '', owner: '', period: '' }, choices: null };
let charts = [];
let loadSeq = 0;

// ---- formatting -----------------------------------------------------------------------------------------------
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
function money(v) {
  if (!isNum(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return '$' + (v / 1e9).toFixed(2) + 'B';
  if (a >= 1e6) return '$' + (v / 1e6).toFixed(2) + 'M';
  if (a >= 1e3) return '$' + (v / 1e3).toFixed(1) + 'k';
  return '$' + v.toFixed(0);
}
const pct = (v, d = 1) => (isNum(v) ? (v * 100).toFixed(d) + '%' : '–');
const num = (v, d = 0) => (isNum(v) ? v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');
const dt = (v) => (v ? String(v).replace('T', ' ').replace('Z', ' UTC') : '–');
const pill = (v) => `<span class="pill ${esc(String(v).toLowerCase())}">${esc(v)}</span>`;
const yes = (v) => (v === true ? pill('yes') : v === false ? '' : '–');

// ---- building blocks ------------------------------------------------------------------------------------------
function card(title, body, cls = '') { return `<div class="card ${cls}"><h2>${esc(title)}</h2>${body}</div>`; }
function missing(panel) { return `<div class="missing">${esc(panel.message)}</div>`; }
function available(panel) { return panel && panel.available !== false; }
function chartDiv(id, height) { return `<div class="chart" id="${id}"${height ? ` style="height:${height}px"` : ''}></div>`; }
function kpi(label, value, sub = '') { return `<div class="kpi"><div class="l">${esc(label)}</div><div class="v">${value}</div><div class="s">${sub}</div></div>`; }
function table(cols, rows, scroll = true) {
  if (!rows || rows.length === 0) return '<div class="note">no rows</div>';
  const head = cols.map((c) => `<th class="${c.n ? 'n' : ''}">${esc(c.label)}</th>`).join('');
  const body = rows.map((r) => '<tr>' + cols.map((c) => {
    const v = c.f ? c.f(r[c.k], r) : esc(r[c.k] ?? '–');
    return `<td class="${c.n ? 'n' : ''}">${v}</td>`;
  }).join('') + '</tr>').join('');
  return `<div class="${scroll ? 'scroll' : ''}"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}
function chart(id, option) {
  const el = document.getElementById(id);
  if (!el) return;
  const c = echarts.init(el, null, { renderer: 'canvas' });
  c.setOption(Object.assign({ animation: false, grid: { left: 60, right: 20, top: 36, bottom: 40, containLabel: true },
    tooltip: { trigger: 'axis' } }, option));
  charts.push(c);
}
const moneyAxis = { type: 'value', axisLabel: { formatter: (v) => money(v) } };

// ---- API ------------------------------------------------------------------------------------------------------
async function api(page, withFilters = true) {
  const q = new URLSearchParams();
  if (withFilters) for (const k of FILTERS) if (state.filters[k]) q.set(k, state.filters[k]);
  const res = await fetch(`/api/${page}${q.toString() ? '?' + q : ''}`, { credentials: 'same-origin' });
  if (res.status === 401) { window.location.href = '/login'; throw new Error('sign in first'); }
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

// ---- pages ----------------------------------------------------------------------------------------------------
const render = {};

render.overview = (d) => {
  if (d.available === false) return { html: missing(d) };
  const k = d.kpi || {};
  const fc = d.forecast;
  // The selected period's forecast, else the first period forecast (the period after the data's last day).
  const fcRow = available(fc) ? ((fc.rows || []).find((r) => r.period === d.period.label) || (fc.rows || [])[0]) : null;
  let html = '<div class="kpis">' +
    kpi(`Bookings ${d.period.label}`, money(k.bookings), `${num(k.won_deals)} won · ${num(k.lost_deals)} lost`) +
    kpi('Goal attainment', d.goal ? pct(k.goal_attainment, 0) : '–', d.goal ? `goal ${money(d.goal)} a quarter` : 'no goal set (revlens dashboard --goal)') +
    kpi('Win rate', pct(k.win_rate), 'closed in the period') +
    kpi('Open pipeline', money(k.open_pipeline), `${num(k.open_deals)} deals on ${esc(d.pipeline_date)}`) +
    kpi(`Forecast P50 ${fcRow ? fcRow.period : ''}`, fcRow ? money(fcRow.p50) : '–', fcRow ? `P10 ${money(fcRow.p10)} · P90 ${money(fcRow.p90)}` : 'no forecast for this period') +
    '</div><div class="grid">';
  html += card('Bookings by quarter vs goal', chartDiv('c-bookings'));
  html += card('Forecast: P10 / P50 / P90 beside weighted pipeline and commit',
    available(fc) ? (fc.note ? `<div class="note">${esc(fc.note)}</div>` : '') + (fc.rows.length ? chartDiv('c-forecast') : `<div class="note">${esc(fc.message || '')}</div>`) : missing(fc));
  html += card(`Open pipeline by stage on ${d.pipeline_date}`, Array.isArray(d.pipeline_by_stage) ? chartDiv('c-stages') : missing(d.pipeline_by_stage));
  const bt = d.backtest;
  html += card('Backtest: what each method said at the start of past quarters',
    available(bt) ? chartDiv('c-backtest', 240) + table([
      { k: 'method', label: 'method' }, { k: 'mape', label: 'mean abs. % error', n: 1, f: (v) => pct(v) }, { k: 'periods', label: 'quarters', n: 1 }],
    bt.accuracy, false) + `<div class="note">P10–P90 covered the actual in ${pct(bt.coverage, 0)} of the quarters</div>` : missing(bt));
  html += '</div>';
  const after = () => {
    const b = d.bookings_by_quarter || [];
    chart('c-bookings', {
      legend: { top: 0 }, xAxis: { type: 'category', data: b.map((r) => r.period) }, yAxis: moneyAxis,
      tooltip: { trigger: 'axis', valueFormatter: money },
      series: [{ name: 'bookings', type: 'bar', data: b.map((r) => ({ value: r.bookings, itemStyle: r.period === d.period.label ? { color: '#2f6fed' } : { color: '#9db7ee' } })) },
        ...(d.goal ? [{ name: 'goal', type: 'line', data: b.map(() => d.goal), symbol: 'none', itemStyle: { color: '#c7362f' }, lineStyle: { type: 'dashed', color: '#c7362f' } }] : [])],
    });
    if (available(fc) && fc.rows.length) {
      const r = fc.rows;
      chart('c-forecast', {
        legend: { top: 0 }, xAxis: { type: 'category', data: r.map((x) => x.period) }, yAxis: moneyAxis,
        tooltip: { trigger: 'axis', valueFormatter: money },
        series: [
          { name: 'P10', type: 'bar', data: r.map((x) => x.p10), itemStyle: { color: '#b9cdf6' } },
          { name: 'P50', type: 'bar', data: r.map((x) => x.p50), itemStyle: { color: '#2f6fed' } },
          { name: 'P90', type: 'bar', data: r.map((x) => x.p90), itemStyle: { color: '#16387a' } },
          { name: 'weighted pipeline', type: 'bar', data: r.map((x) => x.weighted_pipeline), itemStyle: { color: '#a3a9b6' } },
          { name: 'commit', type: 'bar', data: r.map((x) => x.commit), itemStyle: { color: '#e39a2d' } }],
      });
    }
    if (Array.isArray(d.pipeline_by_stage)) {
      const s = d.pipeline_by_stage.slice().reverse();
      chart('c-stages', {
        grid: { left: 10, right: 30, top: 10, bottom: 20, containLabel: true },
        xAxis: moneyAxis, yAxis: { type: 'category', data: s.map((x) => `${x.pipeline_label} · ${x.stage_label}`) },
        tooltip: { trigger: 'axis', valueFormatter: money },
        series: [{ name: 'amount', type: 'bar', data: s.map((x) => x.amount), itemStyle: { color: '#2f6fed' } },
          { name: 'weighted', type: 'bar', data: s.map((x) => x.weighted), itemStyle: { color: '#a3a9b6' } }],
      });
    }
    if (available(bt)) {
      const r = bt.rows;
      chart('c-backtest', {
        legend: { top: 0, data: ['P10–P90', 'actual', 'P50', 'weighted pipeline', 'commit'] }, xAxis: { type: 'category', data: r.map((x) => x.period) }, yAxis: moneyAxis,
        tooltip: { trigger: 'axis', valueFormatter: money },
        series: [
          { name: 'P10', type: 'line', data: r.map((x) => x.p10), lineStyle: { opacity: 0 }, symbol: 'none', stack: 'band', areaStyle: { opacity: 0 } },
          { name: 'P10–P90', type: 'line', data: r.map((x) => x.p90 - x.p10), lineStyle: { opacity: 0 }, symbol: 'none', stack: 'band', itemStyle: { color: '#b9cdf6' }, areaStyle: { color: '#b9cdf6', opacity: 0.6 }, tooltip: { show: false } },
          { name: 'actual', type: 'line', data: r.map((x) => x.actual), lineStyle: { width: 3, color: '#1d2433' }, itemStyle: { color: '#1d2433' } },
          { name: 'P50', type: 'line', data: r.map((x) => x.p50), itemStyle: { color: '#2f6fed' } },
          { name: 'weighted pipeline', type: 'line', data: r.map((x) => x.weighted_pipeline), itemStyle: { color: '#a3a9b6' } },
          { name: 'commit', type: 'line', data: r.map((x) => x.commit), itemStyle: { color: '#e39a2d' } }],
      });
    }
  };
  return { html, after };
};

render.icp = (d) => {
  const s = d.segments, fit = d.fit;
  let html = `<div class="note">${esc(d.note)}</div><div class="grid">`;
  if (!available(s)) html += card('ICP segments', missing(s), 'wide');
  else {
    html += card(`Segments by lift in win rate (${s.significant} significant, ${s.busy_losing} busy but losing)`, chartDiv('c-lift', 360));
  }
  html += card('ICP fit score of every company', available(fit) ? chartDiv('c-fit') : missing(fit));
  if (available(s)) {
    html += card('Segments', table([
      { k: 'dimension', label: 'dimension' }, { k: 'label', label: 'segment' }, { k: 'deals', label: 'deals', n: 1 },
      { k: 'win_rate', label: 'win rate', n: 1, f: (v, r) => `${pct(v)} <span class="reasons">[${pct(r.ci_low, 0)}–${pct(r.ci_high, 0)}]</span>` },
      { k: 'lift', label: 'lift', n: 1, f: (v) => num(v, 2) + '×' }, { k: 'avg_won_amount', label: 'avg won', n: 1, f: money },
      { k: 'mean_cycle_days', label: 'cycle (d)', n: 1, f: (v) => num(v) }, { k: 'q_value', label: 'q', n: 1, f: (v) => num(v, 3) },
      { k: 'significant', label: 'significant', f: yes }, { k: 'busy_losing', label: 'busy, losing', f: yes }], s.rows), 'wide');
  }
  if (available(fit)) {
    html += card('Best-fit companies', table([
      { k: 'company_id', label: 'id' }, { k: 'company_name', label: 'company' }, { k: 'industry', label: 'industry' },
      { k: 'country', label: 'country' }, { k: 'icp_fit', label: 'fit', n: 1, f: (v) => num(v, 1) },
      { k: 'top_segment', label: 'top segment' }, { k: 'is_customer', label: 'customer', f: yes }], fit.top_companies), 'wide');
  }
  html += '</div>';
  const after = () => {
    if (available(s)) {
      const top = s.rows.filter((r) => r.deals > 0).slice(0, 20).reverse();
      chart('c-lift', {
        grid: { left: 10, right: 30, top: 10, bottom: 20, containLabel: true },
        xAxis: { type: 'value', name: 'lift ×' }, yAxis: { type: 'category', data: top.map((r) => `${r.dimension}: ${r.label}`) },
        tooltip: { trigger: 'axis', valueFormatter: (v) => num(v, 2) + '×' },
        series: [{ name: 'lift', type: 'bar', data: top.map((r) => ({ value: r.lift, itemStyle: { color: r.significant ? '#1a8f5a' : r.busy_losing ? '#c7362f' : '#a3a9b6' } })) }],
      });
    }
    if (available(fit)) {
      chart('c-fit', {
        xAxis: { type: 'category', data: fit.histogram.map((h) => `${h.from}–${h.to}`), name: 'fit' }, yAxis: { type: 'value', name: 'companies' },
        series: [{ name: 'companies', type: 'bar', data: fit.histogram.map((h) => h.companies), itemStyle: { color: '#2f6fed' } }],
      });
    }
  };
  return { html, after };
};

render.leads = (d) => {
  const s = d.scores, m = d.model;
  const latest = available(m) && m.runs.length ? m.runs[0] : null;
  const metrics = latest && latest.metrics && latest.metrics.holdout ? latest.metrics.holdout.likelihood || {} : {};
  const drift = latest && latest.metrics ? latest.metrics.drift || {} : {};
  let html = `<div class="note">${esc(d.note)} · period ${esc(d.period.label)}</div>`;
  if (latest) {
    html += '<div class="kpis">' +
      kpi('Holdout AUC', num(metrics.auc_roc, 3), `95% CI ${num(metrics.auc_ci_low, 3)}–${num(metrics.auc_ci_high, 3)}`) +
      kpi('Top-decile lift', num(metrics.top_decile_lift, 1) + '×', `PR-AUC ${num(metrics.pr_auc, 3)} · Brier ${num(metrics.brier, 4)}`) +
      kpi('Tiers A+B capture', pct(metrics.tiers_ab_capture, 0), `of conversions, in ${pct(metrics.tiers_ab_share, 0)} of contacts`) +
      kpi('Score drift (PSI)', num(drift.score_psi, 3), drift.alert ? pill('drift alert') : `threshold ${num(drift.threshold, 2)}`) +
      kpi('Model', esc(latest.status), `${esc(latest.model_version)} ${latest.usable ? pill('usable') : pill('not usable')}`) +
      '</div>';
    html += `<div class="note">${esc(latest.message)}</div>`;
  }
  html += '<div class="grid">';
  if (!available(s)) html += card('Lead scores', missing(s), 'wide');
  else {
    html += card(`Score distribution (${num(s.contacts)} contacts)`, chartDiv('c-hist'));
    html += card('Tiers', chartDiv('c-tiers'));
  }
  if (!available(m)) html += card('Model', missing(m), 'wide');
  else {
    html += card('Feature importance (mean |contribution|, log-odds)', chartDiv('c-features', 340));
    html += card('Drift per feature (PSI) and AUC over runs', chartDiv('c-drift', 340));
  }
  if (available(s)) {
    html += card('Top leads (not yet customers)', table([
      { k: 'contact_id', label: 'id' }, { k: 'firstname', label: 'name', f: (v, r) => esc(`${r.firstname ?? ''} ${r.lastname ?? ''}`) },
      { k: 'company_name', label: 'company' }, { k: 'owner_name', label: 'owner' }, { k: 'lifecycle_stage', label: 'stage' },
      { k: 'tier', label: 'tier', f: (v) => pill(v) }, { k: 'likelihood', label: 'likelihood', n: 1, f: (v) => num(v, 1) + '%' },
      { k: 'fit', label: 'fit', n: 1, f: (v) => num(v) }, { k: 'engagement', label: 'engagement', n: 1, f: (v) => num(v) },
      { k: 'reasons', label: 'why', f: (v) => `<span class="reasons">${esc(v)}</span>` }], s.top_leads), 'wide');
  }
  html += '</div>';
  const after = () => {
    if (available(s)) {
      chart('c-hist', {
        xAxis: { type: 'category', data: s.histogram.map((h) => `${h.from}–${h.to}%`), name: 'likelihood' },
        yAxis: { type: 'value', name: 'contacts' },
        series: [{ name: 'contacts', type: 'bar', data: s.histogram.map((h) => h.contacts), itemStyle: { color: '#2f6fed' } }],
      });
      chart('c-tiers', {
        tooltip: { trigger: 'item' }, legend: { top: 0 },
        series: [{ name: 'tier', type: 'pie', radius: ['40%', '70%'], top: 20, data: s.tiers.map((t) => ({ name: `tier ${t.tier}`, value: t.contacts })),
          label: { formatter: '{b}: {c} ({d}%)' } }],
      });
    }
    if (available(m) && latest) {
      const f = (latest.features || []).slice().reverse();
      chart('c-features', {
        grid: { left: 10, right: 30, top: 10, bottom: 20, containLabel: true },
        xAxis: { type: 'value' }, yAxis: { type: 'category', data: f.map((x) => x.name) },
        series: [{ name: 'importance', type: 'bar', data: f.map((x) => ({ value: x.importance, itemStyle: { color: x.group === 'fit' ? '#2f6fed' : '#1a8f5a' } })) }],
      });
      const fp = Object.entries(drift.feature_psi || {});
      const runs = m.runs.slice().reverse();
      chart('c-drift', {
        legend: { top: 0 },
        grid: [{ left: 40, right: '55%', top: 40, bottom: 30, containLabel: true }, { left: '55%', right: 20, top: 40, bottom: 30, containLabel: true }],
        xAxis: [{ type: 'value', gridIndex: 0, name: 'PSI', splitNumber: 3, axisLabel: { formatter: (v) => num(v, 2) } }, { type: 'category', gridIndex: 1, data: runs.map((r) => (r.ran_at || '').slice(0, 10)) }],
        yAxis: [{ type: 'category', gridIndex: 0, data: fp.map((x) => x[0]) }, { type: 'value', gridIndex: 1, min: 0.5, max: 1 }],
        series: [{ name: 'feature PSI', type: 'bar', xAxisIndex: 0, yAxisIndex: 0, data: fp.map((x) => x[1]), itemStyle: { color: '#e39a2d' } },
          { name: 'holdout AUC', type: 'line', xAxisIndex: 1, yAxisIndex: 1, data: runs.map((r) => r.auc), itemStyle: { color: '#2f6fed' } }],
      });
    }
  };
  return { html, after };
};

render.competitive = (d) => {
  const s = d.stats;
  if (!available(s)) return { html: missing(s) };
  let html = `<div class="note">${esc(s.note)} · period ${esc(d.period.label)}</div><div class="grid">`;
  html += card('Win rate with each competitor vs without (95% interval)', chartDiv('c-win', 320));
  html += card('Mentions per month', chartDiv('c-monthly', 320));
  html += card('Competitors', table([
    { k: 'competitor', label: 'competitor' }, { k: 'deals_involved', label: 'deals', n: 1 }, { k: 'open_deals', label: 'open', n: 1 },
    { k: 'mentions', label: 'mentions', n: 1 },
    { k: 'win_rate', label: 'win rate', n: 1, f: (v, r) => `${pct(v)} <span class="reasons">[${pct(r.win_rate_low, 0)}–${pct(r.win_rate_high, 0)}]</span>` },
    { k: 'baseline_win_rate', label: 'without', n: 1, f: (v) => pct(v) }, { k: 'significant', label: 'significant', f: yes },
    { k: 'median_amount', label: 'median deal', n: 1, f: money }, { k: 'median_cycle_days', label: 'cycle (d)', n: 1, f: (v) => num(v) },
    { k: 'top_loss_reasons', label: 'top loss reasons', f: (v) => `<span class="reasons">${esc(v)}</span>` }, { k: 'top_rep', label: 'best rep' }], s.rows), 'wide');
  html += card('Deals created in the period with a competitor (filters applied)', (d.deals_in_filter || []).length ? chartDiv('c-infilter', 260) : '<div class="note">none</div>');
  html += card('Open deals with a competitor', table([
    { k: 'deal_name', label: 'deal' }, { k: 'amount', label: 'amount', n: 1, f: money }, { k: 'deal_stage_label', label: 'stage' },
    { k: 'owner_name', label: 'owner' }, { k: 'competitors', label: 'competitors' }], d.open_deals));
  html += card('Latest mentions', table([
    { k: 'mentioned_at', label: 'when', f: dt }, { k: 'competitor', label: 'competitor' }, { k: 'source', label: 'source' },
    { k: 'snippet', label: 'snippet', f: (v) => `<span class="reasons">${esc(v)}</span>` }], d.mentions), 'wide');
  html += '</div>';
  const after = () => {
    const r = s.rows.slice().reverse();
    chart('c-win', {
      legend: { top: 0, data: ['95% interval', 'win rate', 'without a competitor'] }, grid: { left: 10, right: 30, top: 30, bottom: 20, containLabel: true },
      xAxis: { type: 'value', max: 1, axisLabel: { formatter: (v) => pct(v, 0) } }, yAxis: { type: 'category', data: r.map((x) => x.competitor) },
      tooltip: { trigger: 'axis', valueFormatter: (v) => pct(v) },
      series: [{ name: 'low', type: 'bar', stack: 'ci', data: r.map((x) => x.win_rate_low), itemStyle: { color: 'transparent' }, tooltip: { show: false } },
        { name: '95% interval', type: 'bar', stack: 'ci', data: r.map((x) => x.win_rate_high - x.win_rate_low), itemStyle: { color: '#b9cdf6' } },
        { name: 'win rate', type: 'scatter', data: r.map((x) => x.win_rate), itemStyle: { color: '#2f6fed' }, symbolSize: 10 },
        { name: 'without a competitor', type: 'scatter', data: r.map((x) => x.baseline_win_rate), symbol: 'diamond', itemStyle: { color: '#c7362f' }, symbolSize: 9 }],
    });
    const months = [...new Set((d.monthly || []).map((x) => x.month))].sort();
    const names = [...new Set((d.monthly || []).map((x) => x.competitor))];
    chart('c-monthly', {
      legend: { top: 0, type: 'scroll' }, xAxis: { type: 'category', data: months.map((m) => m.slice(0, 7)) }, yAxis: { type: 'value' },
      series: names.map((n) => ({ name: n, type: 'line', symbol: 'none',
        data: months.map((m) => { const x = d.monthly.find((y) => y.month === m && y.competitor === n); return x ? x.mentions : 0; }) })),
    });
    if ((d.deals_in_filter || []).length) {
      chart('c-infilter', {
        xAxis: { type: 'category', data: d.deals_in_filter.map((x) => x.competitor) }, yAxis: { type: 'value', name: 'deals' },
        series: [{ name: 'deals', type: 'bar', data: d.deals_in_filter.map((x) => x.deals), itemStyle: { color: '#2f6fed' } }],
      });
    }
  };
  return { html, after };
};

render.activity = (d) => {
  let html = `<div class="note">period ${esc(d.period.label)}</div><div class="grid">`;
  const weekly = Array.isArray(d.weekly) ? d.weekly : null;
  html += card('Engagements per week', weekly ? chartDiv('c-weekly', 320) : missing(d.weekly), 'wide');
  if (weekly) {
    html += card('Reps', table([
      { k: 'owner_name', label: 'rep' }, { k: 'team_name', label: 'team' }, { k: 'engagements', label: 'engagements', n: 1, f: (v) => num(v) },
      { k: 'calls', label: 'calls', n: 1, f: (v) => num(v) }, { k: 'emails', label: 'emails', n: 1, f: (v) => num(v) },
      { k: 'meetings', label: 'meetings', n: 1, f: (v) => num(v) }, { k: 'deals_created', label: 'deals created', n: 1, f: (v) => num(v) },
      { k: 'won_deals', label: 'won', n: 1, f: (v) => num(v) }, { k: 'bookings', label: 'bookings', n: 1, f: money }], d.reps), 'wide');
  }
  const a = d.analysis;
  if (!available(a)) html += card('Activity analysis', missing(a), 'wide');
  else {
    for (const t of a.tables) {
      // Findings first; run bookkeeping left out.
      const first = ['finding', 'description', 'metric', 'owner_name', 'team_name'];
      const keys = t.rows.length ? Object.keys(t.rows[0]).filter((k) => k !== 'run_id' && k !== 'computed_at') : [];
      keys.sort((a, b) => (first.includes(b) ? 1 : 0) - (first.includes(a) ? 1 : 0) || first.indexOf(a) - first.indexOf(b));
      const cols = t.rows.length ? keys.map((k) => ({ k, label: k, n: typeof t.rows[0][k] === 'number' ? 1 : 0,
        f: (v) => (typeof v === 'number' ? num(v, Number.isInteger(v) ? 0 : 3) : esc(v ?? '–')) })) : [];
      html += card(`${t.table} (${num(t.row_count)} rows)`, table(cols, t.rows), 'wide');
    }
  }
  html += '</div>';
  const after = () => {
    if (!weekly) return;
    chart('c-weekly', {
      legend: { top: 0 }, xAxis: { type: 'category', data: weekly.map((w) => w.week_start) }, yAxis: { type: 'value' },
      series: [{ name: 'calls', type: 'bar', stack: 'e', data: weekly.map((w) => w.calls), itemStyle: { color: '#2f6fed' } },
        { name: 'emails', type: 'bar', stack: 'e', data: weekly.map((w) => w.emails), itemStyle: { color: '#9db7ee' } },
        { name: 'meetings', type: 'bar', stack: 'e', data: weekly.map((w) => w.meetings), itemStyle: { color: '#1a8f5a' } },
        { name: 'deals created', type: 'line', data: weekly.map((w) => w.deals_created), itemStyle: { color: '#e39a2d' } }],
    });
  };
  return { html, after };
};

render.health = (d) => {
  const s = d.sync;
  let html = '<div class="kpis">';
  if (available(s) && s.last_success) {
    const ls = s.last_success;
    html += kpi('Last successful sync', `${num(ls.age_hours, 1)} h ago`, `${pill(ls.status)} ${dt(ls.finished_at)}`);
  } else html += kpi('Last successful sync', '–', available(s) ? 'no successful sync yet' : esc(s.message));
  const q = d.quarantine;
  html += kpi('Quarantined records', available(q) ? num(q.total) : '–', available(q) ? 'rejected by the sync or import' : esc(q.message));
  const r = d.runs;
  const mt = available(r) ? r.model_tests : null;
  html += kpi('Model tests', mt ? `${num(mt.passed)} / ${num(mt.tests)}` : '–', mt ? 'passed in the last nightly run' : esc(available(r) ? 'no build step recorded' : r.message));
  const al = d.alerts;
  html += kpi('Alerts', available(al) ? num(al.total) : '–', available(al) ? 'recorded deliveries' : esc(al.message));
  html += '</div><div class="grid">';
  html += card('Last sync per resource', available(s) ? table([
    { k: 'resource', label: 'resource' }, { k: 'mode', label: 'mode' }, { k: 'records_read', label: 'records', n: 1, f: (v) => num(v) },
    { k: 'rows_written', label: 'rows written', n: 1, f: (v) => num(v) }, { k: 'quarantined', label: 'quarantined', n: 1, f: (v) => num(v) },
    { k: 'requests', label: 'requests', n: 1, f: (v) => num(v) }, { k: 'seconds', label: 'seconds', n: 1, f: (v) => num(v, 1) }], s.resources) +
    '<h2 style="margin-top:12px">Sync state (cursor committed)</h2>' + table([{ k: 'resource', label: 'resource' }, { k: 'updated_at', label: 'updated', f: dt }], s.state) : missing(s));
  html += card('Sync runs', available(s) ? table([
    { k: 'started_at', label: 'started', f: dt }, { k: 'status', label: 'status', f: pill }, { k: 'seconds', label: 'seconds', n: 1, f: (v) => num(v, 1) },
    { k: 'requests', label: 'requests', n: 1, f: (v) => num(v) }, { k: 'rows_written', label: 'rows', n: 1, f: (v) => num(v) },
    { k: 'quarantined', label: 'quarantined', n: 1, f: (v) => num(v) }], s.runs) : missing(s));
  html += card('Nightly job (model tests in the build step)', available(r) ? table([
    { k: 'step', label: 'step' }, { k: 'status', label: 'status', f: pill }, { k: 'seconds', label: 'seconds', n: 1, f: (v) => num(v, 1) },
    { k: 'message', label: 'message', f: (v) => `<span class="reasons">${esc(v)}</span>` }], r.steps) +
    (mt && mt.failures && mt.failures.length ? `<div class="error">${mt.failures.map(esc).join('<br>')}</div>` : '') : missing(r));
  html += card('Products: last run', table([
    { k: 'product', label: 'product' }, { k: 'table', label: 'table' }, { k: 'rows', label: 'rows', n: 1, f: (v) => num(v) },
    { k: 'last_run', label: 'last run', f: (v, row) => (row.available ? dt(v) : `<span class="reasons">${esc(row.message)}</span>`) }], d.products, false));
  html += card('Lead-scoring model runs', available(d.model_runs) ? table([
    { k: 'ran_at', label: 'ran', f: dt }, { k: 'model_version', label: 'version' }, { k: 'status', label: 'status', f: pill },
    { k: 'usable', label: 'usable', f: yes }, { k: 'message', label: 'message', f: (v) => `<span class="reasons">${esc(v)}</span>` }], d.model_runs.rows) : missing(d.model_runs));
  html += card('Quarantined records', available(q) ? table([
    { k: 'quarantined_at', label: 'when', f: dt }, { k: 'resource', label: 'resource' }, { k: 'record_id', label: 'record' },
    { k: 'reason', label: 'reason', f: (v) => `<span class="reasons">${esc(v)}</span>` }], q.latest) : missing(q));
  if (available(al)) {
    const cols = al.latest.length ? Object.keys(al.latest[0]).filter((k) => !['payload', 'data', 'blocks', 'alert_key', 'run_id'].includes(k)).slice(0, 9).map((k) => ({ k, label: k, f: (v) => (k === 'status' ? pill(v) : esc(typeof v === 'object' && v !== null ? JSON.stringify(v) : v ?? '–')) })) : [];
    html += card('Alerts sent', table(cols, al.latest), 'wide');
  } else html += card('Alerts sent', missing(al), 'wide');
  html += '</div>';
  return { html };
};

// ---- shell ----------------------------------------------------------------------------------------------------
function readHash() {
  const [page, query] = window.location.hash.replace(/^#/, '').split('?');
  state.page = PAGES.includes(page) ? page : 'overview';
  const q = new URLSearchParams(query || '');
  for (const k of FILTERS) state.filters[k] = q.get(k) || (k === 'period' && state.choices ? state.choices.default_period : '');
}
function writeHash() {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (state.filters[k]) q.set(k, state.filters[k]);
  const h = `#${state.page}${q.toString() ? '?' + q : ''}`;
  if (window.location.hash !== h) window.location.hash = h; else load();
}
function fillSelect(id, items, allLabel) {
  const el = document.getElementById(id);
  el.innerHTML = (allLabel ? `<option value="">${esc(allLabel)}</option>` : '') +
    items.map((x) => `<option value="${esc(x.id)}">${esc(x.label)}</option>`).join('');
}
function syncControls() {
  for (const k of FILTERS) document.getElementById(`f-${k}`).value = state.filters[k];
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === state.page));
}

async function load() {
  const seq = ++loadSeq;
  readHash();
  syncControls();
  const main = document.getElementById('page');
  document.body.dataset.loaded = '';
  const t0 = performance.now();
  try {
    const data = await api(state.page);
    if (seq !== loadSeq) return;
    charts.forEach((c) => c.dispose());
    charts = [];
    const { html, after } = render[state.page](data);
    main.innerHTML = html;
    if (after) after();
    const ms = performance.now() - t0;
    // A stale answer: another revlens process is writing the DuckDB file, so this is the last answer read for the
    // same page and filters (read_at); say so rather than pass it off as current.
    const status = document.getElementById('status');
    status.textContent = data.stale
      ? `${state.page}: the warehouse is busy (a run is writing); showing what was read at ${data.read_at}`
      : `${state.page}: API ${num(data.elapsed_ms, 0)} ms, page ${num(ms, 0)} ms`;
    status.classList.toggle('stale', !!data.stale);
    document.body.dataset.loaded = state.page;
  } catch (e) {
    if (seq !== loadSeq) return;
    main.innerHTML = `<div class="missing error">${esc(e.message)}</div>`;
    document.body.dataset.loaded = 'error';
  }
}

async function init() {
  try {
    state.choices = await api('filters', false);
  } catch (e) {
    document.getElementById('page').innerHTML = `<div class="missing error">${esc(e.message)}</div>`;
    return;
  }
  const c = state.choices;
  fillSelect('f-pipeline', c.pipelines, 'All pipelines');
  fillSelect('f-team', c.teams, 'All teams');
  fillSelect('f-owner', c.owners, 'All owners');
  fillSelect('f-period', [...c.periods.slice().reverse().map((p) => ({ id: p, label: p })), { id: 'all', label: 'All time' }]);
  document.getElementById('asof').textContent = `data as of ${c.as_of}`;
  for (const k of FILTERS) {
    document.getElementById(`f-${k}`).addEventListener('change', (ev) => {
      state.filters[k] = ev.target.value;
      writeHash();
    });
  }
  window.addEventListener('hashchange', load);
  window.addEventListener('resize', () => charts.forEach((x) => x.resize()));
  load();
}

document.addEventListener('DOMContentLoaded', init);
