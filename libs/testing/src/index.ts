export * from './fake-stripe';
export * from './fake-stripe.types';
export * from './fake-stripe-webhooks';
export * from './fake-stripe-chaos';
export * from './test-infra';
export * from './kafka-probe';
export * from './service-app';
export * from './caller-headers';
