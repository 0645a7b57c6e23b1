import { builder } from "../builder";

const SiweNonce = builder.objectRef<{ nonce: string; expiresAt: Date }>("SiweNonce").implement({
  description: "A one-time nonce to put in an EIP-4361 (Sign-In with Ethereum) message.",
  fields: (t) => ({
    nonce: t.exposeString("nonce"),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
  }),
});

const Session = builder.objectRef<{ token: string; expiresAt: Date; address: string }>("Session").implement({
  description: "A signed-in session. Send `Authorization: Bearer <token>` with later requests.",
  fields: (t) => ({
    token: t.exposeString("token"),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    address: t.exposeString("address"),
  }),
});

const Viewer = builder
  .objectRef<{ kind: string; address: string | null; clusterId: string | null }>("Viewer")
  .implement({
    description: "Who the API thinks you are.",
    fields: (t) => ({
      kind: t.exposeString("kind", { description: "account | agent" }),
      address: t.exposeString("address", { nullable: true, description: "Your address (accounts)." }),
      clusterId: t.exposeString("clusterId", { nullable: true, description: "Your cluster (agents)." }),
    }),
  });

const SignInInput = builder.inputType("SignInInput", {
  fields: (t) => ({
    message: t.string({ required: true, description: "The EIP-4361 message, exactly as signed." }),
    signature: t.string({ required: true, description: "personal_sign signature over the message." }),
  }),
});

builder.queryField("me", (t) =>
  t.field({
    type: Viewer,
    nullable: true,
    resolve: (_root, _args, { actor }) =>
      actor.kind === "account"
        ? { kind: "account", address: actor.address, clusterId: null }
        : actor.kind === "agent"
          ? { kind: "agent", address: null, clusterId: actor.clusterId }
          : null,
  }),
);

builder.mutationFields((t) => ({
  createSiweNonce: t.field({
    type: SiweNonce,
    description: "Issues a one-time nonce for Sign-In with Ethereum.",
    resolve: (_root, _args, { services }) => services.auth.issueNonce(),
  }),
  signIn: t.field({
    type: Session,
    description: "Exchanges a signed EIP-4361 message for a session token.",
    args: { input: t.arg({ type: SignInInput, required: true }) },
    resolve: (_root, { input }, { services }) => services.auth.signIn(input),
  }),
  signOut: t.boolean({
    resolve: async (_root, _args, ctx) => {
      await ctx.services.auth.signOut(ctx);
      return true;
    },
  }),
}));
