/**
 * What the reads bench measures: each read route as an HTTP path for the measured tenant, and the same read as
 * the repository calls behind it (for the query plans). The measured tenant is the largest one (tenant rank 0,
 * about 19% of every table), its largest wallet and its largest client.
 */
import { sql } from 'kysely';
import type { Db } from '../../src/db/connection.js';
import { financialSummary } from '../../src/db/financial-summary.js';
import { listInvoices } from '../../src/db/invoices/queries.js';
import { listLedgerEntries } from '../../src/db/ledger.js';
import { listCampaigns, recoveryStats } from '../../src/db/recovery-campaigns.js';
import { tenantId, walletId, WALLETS_PER_TENANT } from './shape.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const PAGE = 25;
/** The deep cursor sits this far back in the wallet's history (0 newest, 1 oldest). */
const DEEP_FRACTION = 0.9;

export const MEASURED_TENANT = tenantId(0);
export const MEASURED_WALLET = walletId(0);
/** The tenant's smallest wallet: its entries are sparse in the table, so a scan of the id order would be long. */
const SPARSE_WALLET = walletId(WALLETS_PER_TENANT - 1);

/** Per database: what the paths need that differs between the two (ids and cursors). */
export interface RouteContext {
  clientId: string;
  deepCursor: string;
  /** How many entries the measured wallet has, and how deep the cursor is. */
  walletEntries: number;
  deepOffset: number;
  /** The end of the seeded year. */
  end: number;
}

export interface ReadRoute {
  name: string;
  path(ctx: RouteContext): string;
  /** The repository calls the route's handler makes, with the same arguments. */
  read(db: Db, ctx: RouteContext): Promise<unknown>;
}

const iso = (ms: number) => new Date(ms).toISOString();

export const READ_ROUTES: ReadRoute[] = [
  {
    name: 'ledger first page',
    path: () => `/v1/credits/ledger?account_id=${MEASURED_WALLET}&limit=${PAGE}`,
    read: (db) => listLedgerEntries(db, { tenantId: MEASURED_TENANT, accountId: MEASURED_WALLET, limit: PAGE + 1 }),
  },
  {
    name: 'ledger deep cursor',
    path: (ctx) => `/v1/credits/ledger?account_id=${MEASURED_WALLET}&limit=${PAGE}&cursor=${ctx.deepCursor}`,
    read: (db, ctx) => listLedgerEntries(db, { tenantId: MEASURED_TENANT, accountId: MEASURED_WALLET, limit: PAGE + 1, before: ctx.deepCursor }),
  },
  {
    name: 'ledger first page, smallest wallet',
    path: () => `/v1/credits/ledger?account_id=${SPARSE_WALLET}&limit=${PAGE}`,
    read: (db) => listLedgerEntries(db, { tenantId: MEASURED_TENANT, accountId: SPARSE_WALLET, limit: PAGE + 1 }),
  },
  {
    name: 'invoices status=pending overdue=true',
    path: () => `/v1/invoices?status=pending&overdue=true&limit=${PAGE}`,
    read: (db) => listInvoices(db, { tenantId: MEASURED_TENANT, status: 'pending', overdue: true, limit: PAGE + 1 }),
  },
  {
    name: 'invoices client_id created_from (90 days)',
    path: (ctx) => `/v1/invoices?client_id=${ctx.clientId}&created_from=${iso(ctx.end - 90 * DAY_MS)}&limit=${PAGE}`,
    read: (db, ctx) =>
      listInvoices(db, { tenantId: MEASURED_TENANT, clientId: ctx.clientId, createdFrom: new Date(ctx.end - 90 * DAY_MS), limit: PAGE + 1 }),
  },
  {
    name: 'recoveries',
    path: () => `/v1/recoveries?limit=${PAGE}`,
    read: (db) => listCampaigns(db, { tenantId: MEASURED_TENANT, limit: PAGE }),
  },
  {
    name: 'recoveries status=active',
    path: () => `/v1/recoveries?status=active&limit=${PAGE}`,
    read: (db) => listCampaigns(db, { tenantId: MEASURED_TENANT, status: 'active', limit: PAGE }),
  },
  {
    name: 'financial summary (30 days)',
    path: (ctx) => `/v1/admin/financial-summary?from=${iso(ctx.end - 30 * DAY_MS)}&to=${iso(ctx.end)}`,
    read: (db, ctx) => {
      const range = { from: new Date(ctx.end - 30 * DAY_MS), to: new Date(ctx.end) };
      return Promise.all([financialSummary(db, MEASURED_TENANT, range.from, range.to), recoveryStats(db, MEASURED_TENANT, range)]);
    },
  },
];

/** The ids the paths need on this database: the measured tenant's largest client, and a cursor deep in the wallet. */
export async function routeContext(db: Db, clients: string[][], end: number): Promise<RouteContext> {
  const { rows } = await sql<{ entries: string }>`
    select count(*)::text as entries from credit_ledger where tenant_id = ${MEASURED_TENANT} and account_id = ${MEASURED_WALLET}`.execute(db);
  const walletEntries = Number(rows[0]!.entries);
  const deepOffset = Math.floor(walletEntries * DEEP_FRACTION);
  const cursor = await sql<{ id: string }>`
    select id::text as id from credit_ledger where tenant_id = ${MEASURED_TENANT} and account_id = ${MEASURED_WALLET}
    order by id desc offset ${deepOffset} limit 1`.execute(db);
  return { clientId: clients[0]![0]!, deepCursor: cursor.rows[0]!.id, walletEntries, deepOffset, end };
}
