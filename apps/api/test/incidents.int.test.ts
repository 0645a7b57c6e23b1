import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServiceContext } from "@cohort/domain";
import { createLogger } from "@cohort/logger";
import { createQueue, jobs } from "@cohort/queue";
import { newAccount, startTestApp, type TestApp, waitFor } from "@cohort/test-utils";
import { startWorkers } from "@cohort/worker";
import type { PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on a free loopback port that records every request. */
async function startReceiver({ failFirst = 0 } = {}) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(received.length <= failFirst ? 503 : 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/cohort`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

interface Op {
  account: PrivateKeyAccount;
  token: string;
  address: string;
}

const actorOf = (op: Op): ServiceContext => ({
  actor: {
    kind: "account",
    accountId: "00000000-0000-0000-0000-000000000000",
    address: op.address as `0x${string}`,
    sessionId: "t",
  },
});

const SLOT_MS = 12_000;

describe("incidents, on-call cover and notifications", () => {
  let app: TestApp;
  let worker: ReturnType<typeof startWorkers>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ops: Op[];
  let auditor: Op;

  beforeAll(async () => {
    app = await startTestApp();
    worker = startWorkers({
      backend: app.backend,
      services: app.services,
      logger: createLogger({ name: "worker-test", level: "silent" }),
    });
    receiver = await startReceiver();
    const signIn = async (): Promise<Op> => {
      const account = newAccount();
      return { account, token: await app.signIn(account), address: account.address.toLowerCase() };
    };
    ops = await Promise.all([0, 1, 2, 3].map(signIn));
    auditor = await signIn();
  });
  afterAll(async () => {
    await worker?.close();
    await receiver?.close();
    await app?.close();
  });

  /** A 3-of-4 cluster of `ops` (all accepted), one validator, and an auditor grant. */
  async function makeCluster() {
    const cluster = await app.services.clusters.create(actorOf(ops[0]!), {
      name: `incidents ${randomBytes(3).toString("hex")}`,
      network: "devnet",
      threshold: 3,
      operators: ops.map((o) => o.address),
    });
    await app.db.clusterMember.updateMany({ where: { clusterId: cluster.id }, data: { status: "ACTIVE" } });
    await app.db.cluster.update({ where: { id: cluster.id }, data: { status: "ACTIVE" } });
    await app.services.clusters.grantAccess(actorOf(ops[0]!), {
      clusterId: cluster.id,
      address: auditor.address,
      role: "AUDITOR",
    });
    const validator = await app.db.validator.create({
      data: { clusterId: cluster.id, pubkey: `0x${randomBytes(48).toString("hex")}`, publicShares: [] },
    });
    const members = await app.db.clusterMember.findMany({
      where: { clusterId: cluster.id },
      orderBy: { shareIndex: "asc" },
    });
    return { cluster, validator, members };
  }

  /** Attester duties for `slots`; `missing(slot)` lists share indices that did not contribute. */
  async function insertDuties(
    c: Awaited<ReturnType<typeof makeCluster>>,
    base: number,
    slots: number[],
    missing: (slot: number) => number[],
    outcome: (slot: number) => { outcome: "INCLUDED" | "FAILED"; failureReason?: string } = () => ({
      outcome: "INCLUDED",
    }),
  ) {
    for (const slot of slots) {
      const o = outcome(slot);
      const duty = await app.db.duty.create({
        data: {
          clusterId: c.cluster.id,
          validatorId: c.validator.id,
          slot,
          epoch: Math.floor(slot / 32),
          type: "ATTESTER",
          startsAt: new Date(base + slot * SLOT_MS),
          deadlineAt: new Date(base + slot * SLOT_MS + 4_000),
          outcome: o.outcome,
          failureReason: o.failureReason ?? null,
          valueGwei: 1_000n,
        },
      });
      const miss = missing(slot);
      await app.db.participation.createMany({
        data: c.members.map((m) => ({
          dutyId: duty.id,
          memberId: m.id,
          clusterId: c.cluster.id,
          slot,
          contributed: !miss.includes(m.shareIndex),
          missReason: miss.includes(m.shareIndex) ? ("NO_MESSAGE" as const) : null,
        })),
      });
    }
  }

  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  const verify = (secret: string, r: Received) =>
    r.headers["x-cohort-signature"] === `sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`;

  let main: Awaited<ReturnType<typeof makeCluster>>;
  let secret: string;
  let offlineId: string;

  it("sets up rotations and a signed webhook channel over GraphQL", async () => {
    main = await makeCluster();
    const [m1, , m3, m4] = main.members;
    const startsAt = new Date(Date.now() - 24 * 3_600_000).toISOString();
    const CREATE_ROTATION = `mutation($input: CreateOnCallRotationInput!) {
      createOnCallRotation(input: $input) { id level shiftHours ackTimeoutMinutes members { shareIndex } } }`;
    const primary = await app.gql<{ createOnCallRotation: { members: { shareIndex: number }[] } }>(
      CREATE_ROTATION,
      {
        input: {
          clusterId: main.cluster.id,
          name: "primary",
          startsAt,
          shiftHours: 168,
          ackTimeoutMinutes: 1,
          memberIds: [m3!.id, m1!.id],
        },
      },
      ops[0]!.token,
    );
    expect(primary.errors).toBeUndefined();
    expect(primary.data!.createOnCallRotation.members.map((m) => m.shareIndex)).toEqual([3, 1]);
    const secondary = await app.gql(
      CREATE_ROTATION,
      {
        input: {
          clusterId: main.cluster.id,
          name: "secondary",
          level: "SECONDARY",
          startsAt,
          memberIds: [m4!.id],
        },
      },
      ops[0]!.token,
    );
    expect(secondary.errors).toBeUndefined();

    const channel = await app.gql<{
      createNotificationChannel: { secret: string; channel: { id: string; kind: string } };
    }>(
      `mutation($input: CreateNotificationChannelInput!) {
        createNotificationChannel(input: $input) { secret channel { id kind target events enabled } } }`,
      { input: { clusterId: main.cluster.id, kind: "WEBHOOK", target: receiver.url } },
      ops[0]!.token,
    );
    expect(channel.errors).toBeUndefined();
    secret = channel.data!.createNotificationChannel.secret;
    expect(secret).toMatch(/^whsec_/);
    // The secret is returned once, never listed.
    const listed = await app.gql<{ cluster: { notificationChannels: Record<string, unknown>[] } }>(
      "query($id: ID!) { cluster(id: $id) { notificationChannels { id kind target events } } }",
      { id: main.cluster.id },
      ops[1]!.token,
    );
    expect(listed.data!.cluster.notificationChannels).toHaveLength(1);
    expect(JSON.stringify(listed.data)).not.toContain(secret);

    const now = await app.gql<{ cluster: { onCallNow: { level: string; operator: { address: string } }[] } }>(
      "query($id: ID!) { cluster(id: $id) { onCallNow { level operator { address } coveredFor { shareIndex } } } }",
      { id: main.cluster.id },
      auditor.token,
    );
    expect(now.errors).toBeUndefined();
    expect(now.data!.cluster.onCallNow.map((o) => [o.level, o.operator.address.toLowerCase()])).toEqual([
      ["PRIMARY", ops[2]!.address],
      ["SECONDARY", ops[3]!.address],
    ]);
  });

  it("opens one MEMBER_OFFLINE incident for member 2, merges across evaluations, resolves on recovery", async () => {
    const base = Date.now() - 3_600_000;
    const m2 = main.members[1]!;
    const offline = (slot: number) => (slot >= 10 && slot <= 20 ? [2] : []);
    await insertDuties(main, base, range(1, 15), offline);

    const first = await app.services.incidents.evaluate(main.cluster.id);
    expect(first.opened).toHaveLength(1);
    offlineId = first.opened[0]!;
    const again = await app.services.incidents.evaluate(main.cluster.id);
    expect(again).toEqual({ opened: [], updated: [], resolved: [] });

    let incident = await app.db.incident.findUniqueOrThrow({
      where: { id: offlineId },
      include: { members: true, duties: { include: { duty: true } }, timeline: true },
    });
    expect(incident).toMatchObject({
      kind: "MEMBER_OFFLINE",
      status: "OPEN",
      automatic: true,
      dedupKey: `member_offline:${m2.id}`,
      fromSlot: 10,
      toSlot: 15,
      costGwei: 6_000n,
    });
    expect(incident.members.map((m) => [m.memberId, m.attributedBy])).toEqual([[m2.id, "system"]]);
    expect(incident.duties.map((d) => d.duty.slot).sort((a, b) => a - b)).toEqual(range(10, 15));

    // More misses: merged into the same incident, not a new one.
    await insertDuties(main, base, range(16, 20), offline);
    const merged = await app.services.incidents.evaluate(main.cluster.id);
    expect(merged).toEqual({ opened: [], updated: [offlineId], resolved: [] });
    await app.services.incidents.evaluate(main.cluster.id);
    incident = await app.db.incident.findUniqueOrThrow({
      where: { id: offlineId },
      include: { members: true, duties: { include: { duty: true } }, timeline: true },
    });
    expect(incident.toSlot).toBe(20);
    expect(incident.duties.map((d) => d.duty.slot).sort((a, b) => a - b)).toEqual(range(10, 20));
    expect(incident.timeline.filter((e) => e.kind === "MERGED")).toHaveLength(1);
    expect(
      await app.db.incident.count({ where: { clusterId: main.cluster.id, kind: "MEMBER_OFFLINE" } }),
    ).toBe(1);

    // The PRIMARY on-call (member 3) got a signed webhook naming them.
    const delivered = await waitFor(
      async () => receiver.received.find((r) => r.headers["x-cohort-event"] === "incident.opened"),
      20_000,
      "the incident.opened webhook",
    );
    expect(verify(secret, delivered)).toBe(true);
    const payload = JSON.parse(delivered.body);
    expect(payload).toMatchObject({
      event: "incident.opened",
      cluster: { id: main.cluster.id },
      incident: { id: offlineId, number: incident.number, kind: "MEMBER_OFFLINE", severity: "MAJOR" },
      onCall: { level: "PRIMARY", memberId: main.members[2]!.id, address: ops[2]!.address },
    });
    expect(payload.incident.members.map((m: { memberId: string }) => m.memberId)).toEqual([m2.id]);
    expect(typeof payload.sentAt).toBe("string");
    const delivery = await waitFor(
      async () => app.db.notificationDelivery.findFirst({ where: { incidentId: offlineId, status: "SENT" } }),
      10_000,
      "the delivery row to be SENT",
    );
    expect(delivery).toMatchObject({
      event: "incident.opened",
      attempts: 1,
      recipient: ops[2]!.address,
      lastError: null,
    });

    // An escalation timer was armed for the PRIMARY rotation's ackTimeoutMinutes.
    const queue = createQueue(app.backend, jobs.incidentEscalate.queue);
    const timer = await queue.getJob(jobs.incidentEscalate.jobId({ incidentId: offlineId }));
    expect(timer?.opts.delay).toBe(60_000);
    await queue.close();

    // Recovery: member 2 contributes again from slot 21.
    await insertDuties(main, base, range(21, 25), offline);
    const recovered = await app.services.incidents.evaluate(main.cluster.id);
    expect(recovered).toEqual({ opened: [], updated: [], resolved: [offlineId] });
    expect(await app.services.incidents.evaluate(main.cluster.id)).toEqual({
      opened: [],
      updated: [],
      resolved: [],
    });
    incident = await app.db.incident.findUniqueOrThrow({
      where: { id: offlineId },
      include: { members: true, duties: { include: { duty: true } }, timeline: true },
    });
    expect(incident).toMatchObject({
      status: "RESOLVED",
      resolvedBy: "system",
      toSlot: 20,
      costGwei: 11_000n,
    });
    expect(incident.timeline.map((e) => e.kind).sort()).toEqual(["MERGED", "NOTIFIED", "OPENED", "RESOLVED"]);
    expect(incident.timeline.filter((e) => e.kind === "RESOLVED")).toHaveLength(1);

    // Readable over GraphQL by an auditor, with filters and the timeline.
    const read = await app.gql<{
      cluster: {
        incidents: {
          edges: {
            node: {
              id: string;
              status: string;
              members: { member: { shareIndex: number } }[];
              dutyCount: number;
            };
          }[];
        };
      };
    }>(
      `query($id: ID!, $f: IncidentFilter) { cluster(id: $id) { incidents(filter: $f, first: 5) {
        edges { cursor node { id status kind costGwei dutyCount members { member { shareIndex } attributedBy } timeline { kind message } } }
        pageInfo { hasNextPage endCursor } } } }`,
      { id: main.cluster.id, f: { kind: ["MEMBER_OFFLINE"], memberId: m2.id } },
      auditor.token,
    );
    expect(read.errors).toBeUndefined();
    expect(
      read.data!.cluster.incidents.edges.map((e) => [e.node.id, e.node.status, e.node.dutyCount]),
    ).toEqual([[offlineId, "RESOLVED", 11]]);
  });

  it("escalates an unacknowledged incident to the SECONDARY on-call, once", async () => {
    const declared = await app.gql<{ declareIncident: { id: string; number: number; kind: string } }>(
      `mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { id number kind status } }`,
      { input: { clusterId: main.cluster.id, title: "Beacon node flapping", severity: "MAJOR" } },
      ops[1]!.token,
    );
    expect(declared.errors).toBeUndefined();
    const id = declared.data!.declareIncident.id;
    expect(declared.data!.declareIncident.kind).toBe("MANUAL");

    // The delayed job's processor, run directly instead of waiting out ackTimeoutMinutes.
    expect(await app.services.incidents.escalate(id)).toEqual({ escalated: true });
    expect((await app.services.incidents.escalate(id)).escalated).toBe(false);
    const incident = await app.db.incident.findUniqueOrThrow({ where: { id }, include: { timeline: true } });
    expect(incident.escalatedAt).not.toBeNull();
    expect(incident.timeline.filter((e) => e.kind === "ESCALATED")).toHaveLength(1);

    const escalated = await waitFor(
      async () =>
        receiver.received.find(
          (r) =>
            r.headers["x-cohort-event"] === "incident.escalated" && JSON.parse(r.body).incident.id === id,
        ),
      20_000,
      "the incident.escalated webhook",
    );
    expect(verify(secret, escalated)).toBe(true);
    expect(JSON.parse(escalated.body).onCall).toMatchObject({
      level: "SECONDARY",
      memberId: main.members[3]!.id,
      address: ops[3]!.address,
    });

    // An acknowledged incident does not escalate.
    const other = await app.services.incidents.declare(actorOf(ops[0]!), {
      clusterId: main.cluster.id,
      title: "Disk almost full",
      severity: "MINOR",
    });
    const ack = await app.gql<{ acknowledgeIncident: { status: string; acknowledgedBy: string } }>(
      "mutation($id: ID!) { acknowledgeIncident(id: $id) { status acknowledgedBy } }",
      { id: other.id },
      ops[2]!.token,
    );
    expect(ack.errors).toBeUndefined();
    expect(ack.data!.acknowledgeIncident.status).toBe("ACKNOWLEDGED");
    expect(ack.data!.acknowledgeIncident.acknowledgedBy.toLowerCase()).toBe(ops[2]!.address);
    expect(await app.services.incidents.escalate(other.id)).toEqual({
      escalated: false,
      reason: "incident is acknowledged",
    });
  });

  it("manual handling writes a timeline with the actor; auditors are FORBIDDEN and nothing is stored", async () => {
    const incident = await app.services.incidents.declare(actorOf(ops[0]!), {
      clusterId: main.cluster.id,
      title: "Manual one",
      severity: "MINOR",
    });
    const m2 = main.members[1]!;
    const steps = [
      [
        "mutation($i: IncidentNoteInput!) { addIncidentNote(input: $i) { id } }",
        { incidentId: incident.id, message: "looking" },
      ],
      [
        "mutation($i: AttributeIncidentInput!) { attributeIncident(input: $i) { id } }",
        { incidentId: incident.id, memberId: m2.id, reason: "their beacon node" },
      ],
      [
        "mutation($i: ChangeIncidentSeverityInput!) { changeIncidentSeverity(input: $i) { severity } }",
        { incidentId: incident.id, severity: "CRITICAL", reason: "worse" },
      ],
      [
        "mutation($i: ResolveIncidentInput!) { resolveIncident(input: $i) { status resolvedBy } }",
        { incidentId: incident.id, note: "fixed" },
      ],
    ] as const;

    const timelineBefore = await app.db.incidentTimelineEntry.count({ where: { incidentId: incident.id } });
    const incidentsBefore = await app.db.incident.count({ where: { clusterId: main.cluster.id } });
    for (const [query, input] of steps) {
      const res = await app.gql(query, { i: input }, auditor.token);
      expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
    const auditorDeclare = await app.gql(
      `mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { id } }`,
      { input: { clusterId: main.cluster.id, title: "nope", severity: "INFO" } },
      auditor.token,
    );
    expect(auditorDeclare.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const auditorCover = await app.gql(
      "mutation($input: RequestCoverInput!) { requestCover(input: $input) { id } }",
      {
        input: {
          clusterId: main.cluster.id,
          startsAt: new Date().toISOString(),
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        },
      },
      auditor.token,
    );
    expect(auditorCover.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await app.db.incidentTimelineEntry.count({ where: { incidentId: incident.id } })).toBe(
      timelineBefore,
    );
    expect(await app.db.incident.count({ where: { clusterId: main.cluster.id } })).toBe(incidentsBefore);
    expect(await app.db.coverRequest.count({ where: { clusterId: main.cluster.id } })).toBe(0);

    // An outsider cannot even see it.
    const outsider = newAccount();
    const hidden = await app.gql(
      "mutation($id: ID!) { acknowledgeIncident(id: $id) { id } }",
      { id: incident.id },
      await app.signIn(outsider),
    );
    expect(hidden.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const unknown = await app.gql(
      "mutation($id: ID!) { acknowledgeIncident(id: $id) { id } }",
      { id: "01900000-0000-7000-8000-000000000000" },
      ops[0]!.token,
    );
    expect(unknown.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

    for (const [query, input] of steps) {
      const res = await app.gql(query, { i: input }, ops[1]!.token);
      expect(res.errors).toBeUndefined();
    }
    const timeline = await app.db.incidentTimelineEntry.findMany({
      where: { incidentId: incident.id },
      orderBy: { id: "asc" },
    });
    expect(timeline.map((e) => e.kind)).toEqual([
      "OPENED",
      "NOTIFIED",
      "NOTE",
      "ATTRIBUTED",
      "SEVERITY_CHANGED",
      "RESOLVED",
    ]);
    expect(timeline.slice(2).every((e) => e.actorAddress === ops[1]!.address)).toBe(true);
    const after = await app.db.incident.findUniqueOrThrow({
      where: { id: incident.id },
      include: { members: true },
    });
    expect(after).toMatchObject({ status: "RESOLVED", severity: "CRITICAL", resolvedBy: ops[1]!.address });
    expect(after.members).toEqual([
      expect.objectContaining({ memberId: m2.id, attributedBy: ops[1]!.address }),
    ]);
  });

  it("bad input is BAD_USER_INPUT naming the field", async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [
        "mutation($input: RequestCoverInput!) { requestCover(input: $input) { id } }",
        {
          input: {
            clusterId: main.cluster.id,
            startsAt: new Date(Date.now() + 3_600_000).toISOString(),
            endsAt: new Date().toISOString(),
          },
        },
        "input.endsAt",
      ],
      [
        "mutation($input: CreateOnCallRotationInput!) { createOnCallRotation(input: $input) { id } }",
        {
          input: {
            clusterId: main.cluster.id,
            name: "bad",
            startsAt: new Date().toISOString(),
            shiftHours: 0,
            memberIds: [main.members[0]!.id],
          },
        },
        "input.shiftHours",
      ],
      [
        "mutation($input: CreateOnCallRotationInput!) { createOnCallRotation(input: $input) { id } }",
        {
          input: {
            clusterId: main.cluster.id,
            name: "bad2",
            startsAt: new Date().toISOString(),
            memberIds: [main.members[0]!.id, "01900000-0000-7000-8000-000000000000"],
          },
        },
        "input.memberIds.1",
      ],
      [
        "mutation($input: CreateNotificationChannelInput!) { createNotificationChannel(input: $input) { secret } }",
        { input: { clusterId: main.cluster.id, kind: "WEBHOOK", target: "not a url" } },
        "input.target",
      ],
      [
        "mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { id } }",
        { input: { clusterId: main.cluster.id, title: "  ", severity: "MAJOR" } },
        "input.title",
      ],
      [
        'query($id: ID!) { cluster(id: $id) { onCallSchedule(from: "2026-06-02T00:00:00Z", to: "2026-06-01T00:00:00Z") { startsAt } } }',
        { id: main.cluster.id },
        "window.to",
      ],
    ];
    for (const [query, variables, field] of cases) {
      const res = await app.gql(query, variables, ops[0]!.token);
      expect(res.errors?.[0]?.extensions, field).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
  });

  it("an accepted cover request replaces the scheduled member in whoIsOnCall and the schedule", async () => {
    const [m1, , m3] = main.members;
    await app.db.operator.update({
      where: { address: ops[0]!.address },
      data: { timezone: "Europe/Berlin" },
    });
    const requested = await app.gql<{
      requestCover: { id: string; status: string; requester: { shareIndex: number } };
    }>(
      "mutation($input: RequestCoverInput!) { requestCover(input: $input) { id status requester { shareIndex } } }",
      {
        input: {
          clusterId: main.cluster.id,
          startsAt: new Date(Date.now() - 3_600_000).toISOString(),
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          reason: "travelling",
        },
      },
      ops[2]!.token,
    );
    expect(requested.errors).toBeUndefined();
    expect(requested.data!.requestCover).toMatchObject({ status: "OPEN", requester: { shareIndex: 3 } });
    const coverId = requested.data!.requestCover.id;

    // Not before it is accepted; not by the requester itself.
    expect((await app.services.onCall.whoIsOnCall(main.cluster.id, new Date()))[0]!.memberId).toBe(m3!.id);
    const self = await app.gql(
      "mutation($input: AcceptCoverInput!) { acceptCover(input: $input) { id } }",
      { input: { coverRequestId: coverId } },
      ops[2]!.token,
    );
    expect(self.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "input.coverRequestId",
    });

    const accepted = await app.gql<{
      acceptCover: { status: string; coveredBy: { shareIndex: number }; handoffNote: string };
    }>(
      "mutation($input: AcceptCoverInput!) { acceptCover(input: $input) { status coveredBy { shareIndex } handoffNote } }",
      { input: { coverRequestId: coverId, handoffNote: "runbook in the wiki" } },
      ops[0]!.token,
    );
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data!.acceptCover).toMatchObject({
      status: "ACCEPTED",
      coveredBy: { shareIndex: 1 },
      handoffNote: "runbook in the wiki",
    });

    const onCall = await app.services.onCall.whoIsOnCall(main.cluster.id, new Date());
    expect(onCall.find((o) => o.level === "PRIMARY")).toMatchObject({
      memberId: m1!.id,
      address: ops[0]!.address,
      coveredForMemberId: m3!.id,
      coverRequestId: coverId,
    });
    // Outside the cover interval the scheduled member is back.
    expect(
      (await app.services.onCall.whoIsOnCall(main.cluster.id, new Date(Date.now() + 2 * 3_600_000)))[0]!
        .memberId,
    ).toBe(m3!.id);

    const read = await app.gql<{
      cluster: {
        onCallNow: {
          level: string;
          operator: { address: string };
          coveredFor: { shareIndex: number } | null;
        }[];
        onCallSchedule: {
          level: string;
          member: { shareIndex: number };
          covers: unknown[];
          local: { timezone: string; startsAt: string }[];
        }[];
      };
    }>(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) { cluster(id: $id) {
        onCallNow { level operator { address } coveredFor { shareIndex } }
        onCallSchedule(from: $from, to: $to) { level startsAt endsAt member { shareIndex } covers { coveredBy { shareIndex } } local { address timezone startsAt endsAt } }
      } }`,
      {
        id: main.cluster.id,
        from: new Date().toISOString(),
        to: new Date(Date.now() + 8 * 24 * 3_600_000).toISOString(),
      },
      auditor.token,
    );
    expect(read.errors).toBeUndefined();
    const primaryNow = read.data!.cluster.onCallNow.find((o) => o.level === "PRIMARY")!;
    expect(primaryNow.operator.address.toLowerCase()).toBe(ops[0]!.address);
    expect(primaryNow.coveredFor).toEqual({ shareIndex: 3 });
    const primaryShifts = read.data!.cluster.onCallSchedule.filter((s) => s.level === "PRIMARY");
    expect(primaryShifts.map((s) => s.member.shareIndex)).toEqual([3, 1]);
    expect(primaryShifts[0]!.covers).toEqual([{ coveredBy: { shareIndex: 1 } }]);
    const berlin = primaryShifts[0]!.local.find((l) => l.timezone === "Europe/Berlin")!;
    expect(berlin.startsAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$/);
  });

  it("MEMBER_OFFLINE counts slots the others signed: a cluster-wide miss or one slot's many duties blame nobody", async () => {
    const c = await makeCluster();
    const base = Date.now() - 3_600_000;
    // Slots 60–63: nobody contributed (the cluster failed, e.g. its beacon node stalled).
    await insertDuties(
      c,
      base,
      range(60, 63),
      () => [1, 2, 3, 4],
      () => ({
        outcome: "FAILED",
        failureReason: "no_consensus",
      }),
    );
    // Slot 64: three duties (one per validator) that member 2 alone missed — one slot, not three.
    const more = await Promise.all(
      [0, 1].map(() =>
        app.db.validator.create({
          data: { clusterId: c.cluster.id, pubkey: `0x${randomBytes(48).toString("hex")}`, publicShares: [] },
        }),
      ),
    );
    await insertDuties(c, base, [64], () => [2]);
    for (const v of more) await insertDuties({ ...c, validator: v }, base, [64], () => [2]);
    await insertDuties(c, base, range(65, 66), () => []);
    await app.services.incidents.evaluate(c.cluster.id);
    expect(await app.db.incident.count({ where: { clusterId: c.cluster.id, kind: "MEMBER_OFFLINE" } })).toBe(
      0,
    );

    // Member 3 misses slots 67–69 while the others sign: that is offline, with its 3 duties attached.
    await insertDuties(c, base, range(67, 69), () => [3]);
    await insertDuties(c, base, [70], () => []);
    await app.services.incidents.evaluate(c.cluster.id);
    const offline = await app.db.incident.findMany({
      where: { clusterId: c.cluster.id, kind: "MEMBER_OFFLINE" },
      include: { members: true, duties: true },
    });
    expect(offline).toHaveLength(1);
    expect(offline[0]).toMatchObject({ fromSlot: 67, toSlot: 69, status: "RESOLVED" });
    expect(offline[0]!.members.map((m) => m.memberId)).toEqual([c.members[2]!.id]);
    expect(offline[0]!.duties).toHaveLength(3);
  });

  it("DUTY_FAILED: consecutive failures of one reason merge, severity CRITICAL, resolved when duties succeed", async () => {
    const c = await makeCluster();
    const base = Date.now() - 3_600_000;
    await insertDuties(
      c,
      base,
      range(40, 45),
      (slot) => (slot >= 41 && slot <= 43 ? [1, 2] : []),
      (slot) =>
        slot >= 41 && slot <= 43
          ? { outcome: "FAILED", failureReason: "insufficient_peer_signatures" }
          : { outcome: "INCLUDED" },
    );
    const result = await app.services.incidents.evaluate(c.cluster.id);
    const failed = await app.db.incident.findMany({
      where: { clusterId: c.cluster.id, kind: "DUTY_FAILED" },
      include: { duties: true, members: true },
    });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      severity: "CRITICAL",
      status: "RESOLVED",
      fromSlot: 41,
      toSlot: 43,
      costGwei: 3_000n,
    });
    expect(failed[0]!.summary).toContain("insufficient_peer_signatures");
    expect(failed[0]!.duties).toHaveLength(3);
    expect(failed[0]!.members.map((m) => m.memberId).sort()).toEqual(
      [c.members[0]!.id, c.members[1]!.id].sort(),
    );
    expect(result.resolved).toContain(failed[0]!.id);
    expect(await app.services.incidents.evaluate(c.cluster.id)).toEqual({
      opened: [],
      updated: [],
      resolved: [],
    });
  });

  it("detects disconnected peers, invalid partials, conflicting messages and slashing-protection refusals", async () => {
    const c = await makeCluster();
    const [m1, , m3, m4] = c.members;
    // An EMAIL channel: not configured on this portal, so its deliveries fail clearly, once.
    await app.services.notifications.createChannel(actorOf(ops[0]!), {
      clusterId: c.cluster.id,
      kind: "EMAIL",
      target: "oncall@example.test",
    });
    const t0 = Date.now() - 10 * 60_000;
    await app.db.heartbeat.createMany({
      data: [
        // Member 3: two heartbeats in a row below threshold − 1 = 2 peers, then back.
        { memberId: m3!.id, at: new Date(t0), peersConnected: 3 },
        { memberId: m3!.id, at: new Date(t0 + 60_000), peersConnected: 1 },
        { memberId: m3!.id, at: new Date(t0 + 120_000), peersConnected: 0 },
        { memberId: m3!.id, at: new Date(t0 + 180_000), peersConnected: 3 },
        // Member 1: a single bad heartbeat is not an incident.
        { memberId: m1!.id, at: new Date(t0 + 60_000), peersConnected: 1 },
        { memberId: m1!.id, at: new Date(t0 + 120_000), peersConnected: 2 },
      ].map((h) => ({ ...h, clusterId: c.cluster.id })),
    });
    const base = Date.now() - 3_600_000;
    await insertDuties(
      c,
      base,
      range(50, 53),
      () => [],
      (slot) =>
        slot === 52
          ? { outcome: "FAILED", failureReason: "slashing_protection_refused" }
          : { outcome: "INCLUDED" },
    );
    const p = (slot: number, memberId: string) => ({ slot, memberId });
    const setMiss = async (
      { slot, memberId }: { slot: number; memberId: string },
      missReason: "INVALID_PARTIAL" | "CONFLICTING",
    ) =>
      app.db.participation.updateMany({
        where: { clusterId: c.cluster.id, slot, memberId },
        data: { contributed: false, missReason },
      });
    await setMiss(p(50, m4!.id), "INVALID_PARTIAL");
    await setMiss(p(51, m1!.id), "CONFLICTING");

    const result = await app.services.incidents.evaluate(c.cluster.id);
    const incidents = await app.db.incident.findMany({
      where: { clusterId: c.cluster.id },
      include: { members: true, duties: { include: { duty: true } } },
      orderBy: { number: "asc" },
    });
    const byKind = Object.fromEntries(incidents.map((i) => [i.kind, i]));
    expect(Object.keys(byKind).sort()).toEqual([
      "CONFLICTING_MESSAGES",
      "INVALID_PARTIALS",
      "PEERS_DISCONNECTED",
      "SLASHING_PROTECTION_REFUSAL",
    ]);
    expect(incidents).toHaveLength(4);
    expect(byKind.PEERS_DISCONNECTED).toMatchObject({
      status: "RESOLVED",
      resolvedBy: "system",
      fromSlot: null,
    });
    expect(byKind.PEERS_DISCONNECTED!.members.map((m) => m.memberId)).toEqual([m3!.id]);
    expect(byKind.INVALID_PARTIALS).toMatchObject({ status: "RESOLVED", fromSlot: 50, toSlot: 50 });
    expect(byKind.INVALID_PARTIALS!.members.map((m) => m.memberId)).toEqual([m4!.id]);
    expect(byKind.CONFLICTING_MESSAGES).toMatchObject({ severity: "CRITICAL", fromSlot: 51 });
    expect(byKind.SLASHING_PROTECTION_REFUSAL).toMatchObject({
      severity: "CRITICAL",
      fromSlot: 52,
      toSlot: 52,
    });
    expect(byKind.SLASHING_PROTECTION_REFUSAL!.summary).toContain("slashing_protection_refused");
    expect(result.opened).toHaveLength(4);
    expect(await app.services.incidents.evaluate(c.cluster.id)).toEqual({
      opened: [],
      updated: [],
      resolved: [],
    });

    // Everything recovered within the batch, so nothing was announced; a declared one is.
    expect(await app.db.notificationDelivery.count({ where: { channel: { clusterId: c.cluster.id } } })).toBe(
      0,
    );
    const declared = await app.services.incidents.declare(actorOf(ops[0]!), {
      clusterId: c.cluster.id,
      title: "Email me",
      severity: "MINOR",
    });
    const failed = await waitFor(
      async () =>
        app.db.notificationDelivery.findFirst({ where: { incidentId: declared.id, status: "FAILED" } }),
      10_000,
      "the EMAIL delivery to fail",
    );
    expect(failed).toMatchObject({
      attempts: 1,
      lastError: "EMAIL notifications are not configured on this portal",
    });
  });

  it("retries a failed webhook delivery with backoff until it is SENT; nobody on call is said so", async () => {
    const flaky = await startReceiver({ failFirst: 1 });
    try {
      const c = await makeCluster();
      const created = await app.services.notifications.createChannel(actorOf(ops[0]!), {
        clusterId: c.cluster.id,
        kind: "WEBHOOK",
        target: flaky.url,
        events: ["incident.opened"],
      });
      const incident = await app.services.incidents.declare(actorOf(ops[0]!), {
        clusterId: c.cluster.id,
        title: "Flaky receiver",
        severity: "MAJOR",
      });
      const sent = await waitFor(
        async () =>
          app.db.notificationDelivery.findFirst({ where: { incidentId: incident.id, status: "SENT" } }),
        20_000,
        "the retried delivery to be SENT",
      );
      expect(sent).toMatchObject({ attempts: 2, recipient: null });
      expect(flaky.received).toHaveLength(2);
      for (const r of flaky.received) expect(verify(created.secret!, r)).toBe(true);
      expect(JSON.parse(flaky.received[1]!.body)).toMatchObject({ event: "incident.opened", onCall: null });
    } finally {
      await flaky.close();
    }
  });

  it("streams incident events over SSE with the GraphQL credentials", async () => {
    const unauth = await fetch(`${app.url}/events/clusters/${main.cluster.id}`);
    expect(unauth.status).toBe(401);
    const outsider = await fetch(`${app.url}/events/clusters/${main.cluster.id}`, {
      headers: { authorization: `Bearer ${await app.signIn(newAccount())}` },
    });
    expect(outsider.status).toBe(404);

    const abort = new AbortController();
    const res = await fetch(`${app.url}/events/clusters/${main.cluster.id}`, {
      headers: { authorization: `Bearer ${auditor.token}` },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    // Wait for the subscription comment before causing the event.
    while (!text.includes("subscribed")) text += decoder.decode((await reader.read()).value);
    const declared = await app.services.incidents.declare(actorOf(ops[0]!), {
      clusterId: main.cluster.id,
      title: "Live one",
      severity: "INFO",
    });
    await app.services.incidents.acknowledge(actorOf(ops[1]!), declared.id);
    const deadline = Date.now() + 10_000;
    while (!text.includes("event: incident.updated") && Date.now() < deadline) {
      text += decoder.decode((await reader.read()).value);
    }
    abort.abort();
    expect(text).toContain("event: incident.opened");
    expect(text).toContain("event: incident.updated");
    const opened = text
      .split("\n\n")
      .find((block) => block.includes("event: incident.opened"))!
      .split("\n")
      .find((l) => l.startsWith("data: "))!;
    expect(JSON.parse(opened.slice(6))).toMatchObject({
      type: "incident.opened",
      clusterId: main.cluster.id,
      incidentId: declared.id,
    });
  });
});
