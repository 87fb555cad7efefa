// The handler interface of aws-lambda-java-core, provided by Atoll's Java bootstrap when the
// function does not bundle the library (same package, names and signatures).
package com.amazonaws.services.lambda.runtime;

public interface RequestHandler<I, O> {
    O handleRequest(I input, Context context);
}
